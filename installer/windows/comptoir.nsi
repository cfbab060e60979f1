; Comptoir's Windows installer (NSIS 3), built by installer/build.sh --target windows:
;   makensis -DVERSION=0.1.0 -DSTAGE=<folder holding comptoir.exe and comptoir.ico> -DOUTFILE=<setup.exe> comptoir.nsi
;
; Per user by default (no administrator rights, into %LOCALAPPDATA%\Programs\Comptoir);
; for every user of the machine with /AllUsers on the command line, or by choice on the
; installer's first page (then into Program Files, with elevation). French, Dutch and
; English. Start-menu and desktop shortcuts. Silent with /S.
; The uninstaller leaves the user's data (%APPDATA%\Comptoir) unless its "data" component
; is ticked, or /PURGE is given on its command line.

; A 64-bit installer for a 64-bit app (it also runs under a Wine without 32-bit support).
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "VERSION is not defined: makensis -DVERSION=x.y.z"
!endif
!ifndef STAGE
  !error "STAGE is not defined: the folder holding comptoir.exe and comptoir.ico"
!endif
!ifndef OUTFILE
  !define OUTFILE "comptoir-${VERSION}-setup.exe"
!endif

!define APP_NAME "Comptoir"
!define PUBLISHER "Comptoir developers"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Comptoir"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
BrandingText "${APP_NAME} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${APP_NAME} installer"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "MIT OR Apache-2.0"

; Per user unless asked: MultiUser picks the folder, the registry hive and elevation.
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_INSTALLMODE_DEFAULT_CURRENTUSER
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_INSTALLMODE_INSTDIR "${APP_NAME}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${UNINSTALL_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_MUI
!include MultiUser.nsh
!include MUI2.nsh
!include FileFunc.nsh

!define MUI_ICON "${STAGE}\comptoir.ico"
!define MUI_UNICON "${STAGE}\comptoir.ico"
!define MUI_ABORTWARNING
!define MUI_LANGDLL_ALLLANGUAGES

!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\comptoir.exe"
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; French first: the default when Windows speaks none of the three.
!insertmacro MUI_LANGUAGE "French"
!insertmacro MUI_LANGUAGE "Dutch"
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_RESERVEFILE_LANGDLL

LangString SecApp ${LANG_FRENCH} "Comptoir (obligatoire)"
LangString SecApp ${LANG_DUTCH} "Comptoir (vereist)"
LangString SecApp ${LANG_ENGLISH} "Comptoir (required)"
LangString SecDesktop ${LANG_FRENCH} "Raccourci sur le Bureau"
LangString SecDesktop ${LANG_DUTCH} "Snelkoppeling op het bureaublad"
LangString SecDesktop ${LANG_ENGLISH} "Desktop shortcut"
LangString SecData ${LANG_FRENCH} "Données de Comptoir (entreprises, copies, réglages)"
LangString SecData ${LANG_DUTCH} "Gegevens van Comptoir (bedrijven, kopieën, instellingen)"
LangString SecData ${LANG_ENGLISH} "Comptoir's data (companies, copies, settings)"
LangString DescApp ${LANG_FRENCH} "L'application et son raccourci dans le menu Démarrer."
LangString DescApp ${LANG_DUTCH} "De toepassing en haar snelkoppeling in het menu Start."
LangString DescApp ${LANG_ENGLISH} "The application and its Start-menu shortcut."
LangString DescDesktop ${LANG_FRENCH} "Un raccourci vers Comptoir sur le Bureau."
LangString DescDesktop ${LANG_DUTCH} "Een snelkoppeling naar Comptoir op het bureaublad."
LangString DescDesktop ${LANG_ENGLISH} "A shortcut to Comptoir on the desktop."
LangString DescData ${LANG_FRENCH} "Supprime aussi les données de cet utilisateur. Les entreprises synchronisées restent sur leur serveur."
LangString DescData ${LANG_DUTCH} "Verwijdert ook de gegevens van deze gebruiker. Gesynchroniseerde bedrijven blijven op hun server."
LangString DescData ${LANG_ENGLISH} "Also deletes this user's data. Synced companies stay on their server."

Section "!$(SecApp)" SEC_APP
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${STAGE}\comptoir.exe"
  File "${STAGE}\comptoir.ico"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\comptoir.exe" "" "$INSTDIR\comptoir.ico"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\comptoir.ico"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "$(SecDesktop)" SEC_DESKTOP
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\comptoir.exe" "" "$INSTDIR\comptoir.ico"
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_APP} $(DescApp)
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_DESKTOP} $(DescDesktop)
!insertmacro MUI_FUNCTION_DESCRIPTION_END

; The app's updater runs the new installer with /S /CurrentUser|/AllUsers /Relaunch once
; its window has closed (app/src/update/install.rs): start the app again when it is done.
Function .onInstSuccess
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/Relaunch" $R1
  IfErrors +2 0
    Exec '"$INSTDIR\comptoir.exe"'
FunctionEnd

Function .onInit
  SetRegView 64
  !insertmacro MULTIUSER_INIT
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

Section "un.$(SecApp)" UNSEC_APP
  SectionIn RO
  Delete "$INSTDIR\comptoir.exe"
  Delete "$INSTDIR\comptoir.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  DeleteRegKey SHCTX "${UNINSTALL_KEY}"
SectionEnd

; Not ticked by default: the data is the user's books.
Section /o "un.$(SecData)" UNSEC_DATA
  SetShellVarContext current
  RMDir /r "$APPDATA\${APP_NAME}"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UNSEC_DATA} $(DescData)
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function un.onInit
  SetRegView 64
  !insertmacro MULTIUSER_UNINIT
  !insertmacro MUI_UNGETLANGUAGE
  ; /PURGE: the data goes too (for a silent uninstall, where no page asks).
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/PURGE" $1
  ${IfNot} ${Errors}
    SectionSetFlags ${UNSEC_DATA} ${SF_SELECTED}
  ${EndIf}
FunctionEnd
