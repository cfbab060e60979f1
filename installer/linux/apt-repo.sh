# A signed apt repository holding the .deb (sourced by installer/build.sh, which writes it
# when COMPTOIR_GPG_KEY_ID is set): a flat repository (Packages, Release, and Release
# signed as InRelease and Release.gpg) and the public key to trust it with. Published at
# an address, it is used with
#   deb [signed-by=/usr/share/keyrings/comptoir-archive-keyring.gpg] https://ADDRESS ./
# and `apt upgrade` then updates Comptoir like the rest of the system.
# shellcheck shell=bash

# Debian packages that build it.
# shellcheck disable=SC2034 # read by installer/build.sh
APT_REPO_TOOLS=(dpkg-dev apt-utils gnupg)

# build_apt_repo DEB OUT: writes OUT/apt with DEB in it, signed with COMPTOIR_GPG_KEY_ID;
# prints its path.
build_apt_repo() {
  local deb="$1" repo="$2/apt"
  rm -rf "$repo"
  mkdir -p "$repo"
  cp "$deb" "$repo/"
  (cd "$repo" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages) || return 1
  gzip -9nk "$repo/Packages"
  apt-ftparchive \
    -o APT::FTPArchive::Release::Origin=Comptoir \
    -o APT::FTPArchive::Release::Label=Comptoir \
    -o APT::FTPArchive::Release::Suite=stable \
    -o APT::FTPArchive::Release::Codename=stable \
    -o APT::FTPArchive::Release::Description="Comptoir, invoicing for small businesses" \
    release "$repo" >"$repo/Release.new" || return 1
  mv "$repo/Release.new" "$repo/Release"
  gpg --batch --yes --local-user "$COMPTOIR_GPG_KEY_ID" --clearsign --output "$repo/InRelease" "$repo/Release" || return 1
  gpg --batch --yes --local-user "$COMPTOIR_GPG_KEY_ID" --armor --detach-sign --output "$repo/Release.gpg" "$repo/Release" || return 1
  gpg --batch --yes --export "$COMPTOIR_GPG_KEY_ID" >"$repo/comptoir-archive-keyring.gpg" || return 1
  echo "$repo"
}
