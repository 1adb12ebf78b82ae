//! `files`: a `synth` registry written as the files an import takes (CSV and XLSX, with
//! Dutch headings as an IKNL spreadsheet would have them), each row with an `external_id`
//! and a ROS of its own per file, so importing both makes two sets and importing one again
//! finds every row's network.

use anyhow::{Context, Result};
use onconet_exchange::write::{Headings, XlsxWriter, csv_header, csv_row};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    /// The `synth` output (one profile a line).
    #[arg(long)]
    pub synth: PathBuf,
    /// Where `networks.csv` and `networks.xlsx` go.
    #[arg(long)]
    pub out_dir: PathBuf,
}

fn rows(text: &str, ros: &str) -> Result<Vec<Map<String, Value>>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let mut doc: Map<String, Value> = serde_json::from_str(line)
                .with_context(|| format!("line {} of the synth file", i + 1))?;
            doc.insert("external_id".into(), json!(format!("SYNTH-{:05}", i + 1)));
            doc.insert("ros_org".into(), json!(ros));
            Ok(doc)
        })
        .collect()
}

pub fn run(args: &FilesArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.synth)
        .with_context(|| format!("cannot read {}", args.synth.display()))?;
    std::fs::create_dir_all(&args.out_dir)?;

    let csv_path = args.out_dir.join("networks.csv");
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&csv_path)?);
    csv.write_all(&csv_header(Headings::Dutch))?;
    let csv_rows = rows(&text, "ros-synth-csv")?;
    for doc in &csv_rows {
        csv.write_all(&csv_row(doc))?;
    }
    csv.flush()?;

    let xlsx_path = args.out_dir.join("networks.xlsx");
    let mut xlsx = XlsxWriter::export(Headings::Dutch)?;
    for doc in rows(&text, "ros-synth-xlsx")? {
        xlsx.push(&doc)?;
    }
    std::fs::write(&xlsx_path, xlsx.finish()?)?;
    eprintln!(
        "files: {} SYNTHETIC networks as {} ({} bytes) and {} ({} bytes)",
        csv_rows.len(),
        csv_path.display(),
        std::fs::metadata(&csv_path)?.len(),
        xlsx_path.display(),
        std::fs::metadata(&xlsx_path)?.len()
    );
    Ok(())
}
