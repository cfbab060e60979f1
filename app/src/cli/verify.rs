//! `comptoir verify-audit`: checks the audit trail of a company's copy on this machine,
//! offline — its hash chain, and the chain up to the head the server signed, with the
//! server's key pinned at the first download (see `comptoir_core::audit::check`).
//!
//! Exit status: 0 when the trail holds (a copy that has no signed head yet says so on
//! stderr), 1 when it fails, with the failure's stable code and what it means.

#![allow(clippy::print_stderr, reason = "warnings go to stderr, the result to stdout")]

use std::path::PathBuf;

use anyhow::bail;
use comptoir_core::model::Permission;

/// What `comptoir verify-audit` was asked.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Folder of the app's files.
    #[arg(long)]
    pub data: PathBuf,
    /// The company's name or id.
    #[arg(long)]
    pub company: String,
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<()> {
    let (_, store) = super::export::open_company(&args.data, &args.company, Permission::ReadAuditTrail)?;
    let report = match store.verify_audit_chain()? {
        Ok(report) => report,
        Err(e) => bail!("audit trail check failed ({}): {e}", e.code()),
    };
    let Some(signed) = report.signed else {
        println!("audit chain consistent: {} records", report.records);
        eprintln!(
            "warning: this copy holds no head signed by the server yet, so the chain could not be compared with the server's: sync, then check again"
        );
        return Ok(());
    };
    println!(
        "audit trail verified: {} records, up to record {} signed by the server on {}",
        report.records,
        signed.seq,
        signed.signed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    if report.unsigned > 0 {
        println!("{} newer record(s) not yet signed: they will be at the next sync", report.unsigned);
    }
    Ok(())
}
