//! `vcon show`: a readable summary of a vCon, or the same as JSON.

mod envelope;
mod summary;
mod text;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use serde::Serialize;
use serde_json::{Map, Value};
use vcon_core::form::Form;
use vcon_core::read::{ReadLimits, read};

use crate::cli::{Command, Ctx, Spec, Status, spec};
use crate::input::Input;
use crate::output::{Format, Style};

/// Registration of `vcon show`.
pub const SPEC: Spec = spec::<Args>("show");

/// Most JWS envelopes inside one another that are opened for display.
const MAX_LAYERS: usize = 8;

const LONG_ABOUT: &str = "\
Show a vCon as a readable summary: uuid, form and syntax version, created/updated times,
subject, extensions and critical extensions, redacted/amended references, then

  parties      index, name, tel / mailto / sip, role, type, validation
  dialog       a timeline sorted by start time (for display only: [n] is the index in
               the document): type, start, duration, parties, mediatype, content size
               (inline) or url (external), disposition, transfer roles and links
  analysis     type, vendor/product, the dialog it derives from, mediatype, size
  attachments  purpose, party, dialog, mediatype, size

A signed vCon (JWS) shows its envelope (signatures: alg, header uuid, number of x5c
certificates, x5u) and then its payload, decoded but NOT verified (use a verifying
command for that). An encrypted vCon (JWE) shows what can be read without the key:
alg, enc, cty, uuid, recipients and sizes.

Any JSON object is shown as far as possible: members of the wrong type read as absent.
Use `vcon validate` to find out what is wrong.

JSON output (--format json) is one document with the same content:
  {\"path\":\"call.vcon\",\"form\":\"unsigned\",\"vcon\":{\"uuid\":...,\"parties\":[...],
   \"dialog\":[...],\"analysis\":[...],\"attachments\":[...]}}
  {\"path\":\"signed.vcon\",\"form\":\"signed\",\"signed\":{\"signatures\":[...]},
   \"payload\":{\"form\":\"unsigned\",\"vcon\":{...}}}

Examples:
  vcon show call.vcon
  vcon show --format json call.vcon | jq '.vcon.parties'
  vcon show signed.vcon
  zcat call.vcon.gz | vcon show -

Exit status:
  0  shown
  1  the input is not a JSON object, or has no vCon form (what can be read is shown)
  2  usage error, or the input cannot be read";

/// `vcon show` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Show a vCon: parties, dialog timeline, analysis, attachments, envelope",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The vCon to show (JSON or gzip), or `-` for standard input.
    #[arg(value_name = "IN")]
    input: PathBuf,
}

/// One layer of a vCon: an envelope, or the unsigned vCon itself.
#[derive(Debug, Serialize)]
pub struct Layer {
    /// The form of this layer.
    pub form: Option<Form>,
    /// The JWS envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<envelope::SignedInfo>,
    /// The JWE envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<envelope::EncryptedInfo>,
    /// The vCon (unsigned form, or an object with no form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcon: Option<summary::Summary>,
    /// The decoded, unverified payload of a JWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Box<Layer>>,
    /// Why the payload of a JWS could not be shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_error: Option<String>,
}

#[derive(Serialize)]
struct Output<'a> {
    path: &'a str,
    #[serde(flatten)]
    layer: &'a Layer,
}

/// Builds the layers of `object`, opening at most `depth` more JWS payloads.
fn layer(object: &Map<String, Value>, depth: usize) -> Layer {
    let form = Form::detect(object);
    let mut l = Layer {
        form,
        signed: None,
        encrypted: None,
        vcon: None,
        payload: None,
        payload_error: None,
    };
    match form {
        Some(Form::Signed) => {
            let (info, payload) = envelope::signed(object);
            l.signed = Some(info);
            match payload {
                None => l.payload_error = Some("/payload: not a base64url string".to_owned()),
                Some(_) if depth == 0 => {
                    l.payload_error = Some(format!(
                        "/payload: more than {MAX_LAYERS} nested JWS envelopes"
                    ));
                }
                Some(bytes) => match read(&bytes, &ReadLimits::default()) {
                    Ok(doc) => l.payload = Some(Box::new(layer(&doc.object, depth - 1))),
                    Err(e) => l.payload_error = Some(format!("/payload: {e}")),
                },
            }
        }
        Some(Form::Encrypted) => l.encrypted = Some(envelope::encrypted(object)),
        Some(Form::Unsigned) | None => l.vcon = Some(summary::summarize(object)),
    }
    l
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let input = Input::from_arg(&self.input);
        let name = input.name();
        let bytes = input.read_all()?;
        let doc = match read(&bytes, &ReadLimits::default()) {
            Ok(doc) => doc,
            Err(e) => {
                let message = format!("{name}: {e}");
                let mut err = std::io::stderr().lock();
                match ctx.format {
                    Format::Json => crate::output::json_line(
                        &mut err,
                        &serde_json::json!({"path": name, "error": message}),
                    )?,
                    Format::Text => {
                        writeln!(
                            err,
                            "vcon: {} {message}",
                            ctx.err.paint(Style::Red, "cannot show:")
                        )?;
                    }
                }
                return Ok(Status::Failed);
            }
        };
        let l = layer(&doc.object, MAX_LAYERS);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut out,
                &Output {
                    path: &name,
                    layer: &l,
                },
            )?,
            Format::Text => text::layer(&mut out, &l, &ctx.out, doc.gzipped)?,
        }
        out.flush()?;
        Ok(if l.form.is_some() {
            Status::Ok
        } else {
            Status::Failed
        })
    }
}
