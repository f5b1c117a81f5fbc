//! Inventory as code: the YAML and CSV files that describe a province's units, information
//! systems, assets, contacts, authorities and the monitors of the assets, and the plan of changes
//! importing one makes.
//!
//! This crate does no I/O and knows no store: it reads bytes ([`parse`]), writes strings
//! ([`to_yaml`], [`to_csv`]) and compares documents ([`plan`]). The store exports an
//! [`InventoryDocument`] and applies an [`InventoryPlan`]; the web console and the
//! `canhgac inventory` command move the bytes.
//!
//! # The YAML format
//!
//! Five top-level lists: `units`, `systems` (each with its `assets`), `contacts`, `authorities`
//! and `monitors`. Records refer to each other by code; dates are `YYYY-MM-DD` (`dd/mm/yyyy` is
//! accepted too); an unknown key is an error, as is an unknown value of `kind`,
//! `information_class` or an asset address that does not parse. Every error names the file,
//! line and field, and a file's errors are reported together (up to [`MAX_ERRORS`]):
//! `units.yaml:12: kind: unknown value "sở", expected one of: province, department, ...`.
//!
//! ```yaml
//! units:
//!   - code: ubnd                     # required, the key: a-z, 0-9, '-', '_', '.'
//!     name: Ủy ban nhân dân tỉnh Hòa Bình Xanh
//!     kind: province                 # province, department, district, commune,
//!                                    # public_service_unit, isp, enterprise
//!     address: Số 1 đường Trung tâm, phường Hòa Bình
//!   - code: so-khcn
//!     name: Sở Khoa học và Công nghệ
//!     kind: department
//!     parent: ubnd                   # a unit code, of this file or already stored
//!     valid_from: 2025-03-01
//!   - code: huyen-cu
//!     name: Huyện Cũ
//!     kind: district
//!     parent: ubnd
//!     valid_to: 30/06/2025           # dd/mm/yyyy is read too; exports write 2025-06-30
//!
//! systems:
//!   - code: portal                   # required, the key
//!     name: Cổng thông tin điện tử tỉnh
//!     kind: portal                   # portal, email, document_management, public_services,
//!                                    # lgsp, website, network, other
//!     owner: ubnd                    # required: the owner unit's code
//!     operator: so-khcn              # the operator unit's code
//!     security_level: 3              # 1 to 5
//!     level_decision_number: 123/QĐ-UBND
//!     level_decision_date: 2024-05-20
//!     information_class: public      # public, private, personal, state_secret
//!     purpose: Cung cấp thông tin cho người dân và doanh nghiệp
//!     services: [web, dns]
//!     security_controls:
//!       - tường lửa
//!       - WAF
//!     isp: VNPT Hòa Bình Xanh
//!     security_provider: Trung tâm CNTT
//!     assets:                        # keyed by (system, kind, value)
//!       - kind: ip                   # ip, cidr, domain, url
//!         value: 203.0.113.10        # normalised: canonical IPs, lower-case domains
//!         name: portal-web-01
//!         os: Ubuntu
//!         os_version: "22.04"        # quote versions that look like numbers
//!         software:
//!           - name: nginx
//!             version: 1.24.0
//!             cpe: cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*
//!         note: Máy chủ web chính
//!       - kind: domain
//!         value: portal.hoabinhxanh.gov.vn
//!
//! contacts:                          # keyed by (unit, name)
//!   - unit: so-khcn
//!     name: Nguyễn Văn An
//!     position: Phó Giám đốc
//!     responsibility: lãnh đạo phụ trách ATTT
//!     phone: 0212.3456.7890
//!     email: an.nv@hoabinhxanh.gov.vn
//!
//! authorities:                       # keyed by (code, valid_from)
//!   - code: vncert                   # derived from the name when left out
//!     name: Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)
//!     address: Hà Nội
//!     phones: ["024.3640.4421"]
//!     emails: [ir@vncert.vn, ir@vncert.gov.vn]
//!     valid_from: 2025-03-01
//!     valid_to: 2030-12-31
//!     note: Nhận báo cáo sự cố
//!
//! monitors:                          # keyed by (system, asset, name)
//!   - system: portal                 # the asset's system
//!     asset: portal.hoabinhxanh.gov.vn  # the asset's address; its kind follows from it
//!                                    # (or write asset_kind: ip, cidr, domain, url)
//!     name: Trang chủ cổng           # unique among the asset's monitors
//!     kind: http                     # http, tcp, dns, tls, smtp, imap, icmp
//!     target: https://portal.hoabinhxanh.gov.vn/  # a URL for http, a domain for dns,
//!                                    # host:port for the others
//!     interval: 60                   # seconds (or 90s, 5m, 1h); default 60
//!     timeout: 10                    # default 10, shorter than the interval
//!     retries: 1                     # failures in a row before "down"; default 1
//!     enabled: true                  # default true
//!     public: true                   # on the public status page; default false
//!     probes: [local, ngoai-mang]    # default: the server itself (local)
//!     conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 2000"]
//!     body_contains: [Cổng thông tin]
//!     body_not_contains: [hacked by]
//!     method: GET
//!     cert_warn_days: [30, 14, 7]    # the default
//!     defacement:                    # or `defacement: true` for the defaults
//!       ignore: [".ngay-gio", "#tin-moi"]  # CSS selectors of dynamic parts
//!       markers: [bị tấn công]       # words that mean defacement on sight
//!       change_threshold: 0.3        # share of the text that may change; default 0.3
//!   - system: portal
//!     asset: portal.hoabinhxanh.gov.vn
//!     name: Bản ghi A
//!     kind: dns
//!     target: portal.hoabinhxanh.gov.vn
//!     interval: 5m
//!     record_type: A                 # A (default), AAAA, MX, NS, TXT, CNAME
//!     expected: [203.0.113.10]       # an alert when the answers differ
//!     resolver: 192.0.2.53:53        # default: the system's resolver
//!   - system: portal
//!     asset: 203.0.113.10
//!     name: Cổng HTTPS
//!     kind: tcp
//!     target: 203.0.113.10:443       # smtp and imap take `starttls: true` too
//! ```
//!
//! # The CSV format
//!
//! One file per kind of record, the kind told by the header row (its columns may come in any
//! order; a UTF-8 byte-order mark, as Excel writes, is accepted):
//!
//! - units: `code,name,kind,parent,address,valid_from,valid_to`
//! - systems: `code,name,kind,owner,operator,security_level,level_decision_number,
//!   level_decision_date,information_class,purpose,services,security_controls,isp,security_provider`
//! - assets: `system,kind,value,name,os,os_version,software,note`
//! - contacts: `unit,name,position,responsibility,phone,email`
//! - authorities: `code,name,address,phones,emails,valid_from,valid_to,note`
//!
//! Lists (`services`, `security_controls`, `phones`, `emails`) are `;`-separated; `software` is
//! `name|version|cpe;name|version;name`; a `\` before `;`, `|` or `\` keeps it literal.
//! Errors name the CSV line. Monitors have no CSV form: write them in YAML.
//!
//! # Importing
//!
//! ```
//! use canhgac_inventory::{parse, plan, to_yaml, PlanOptions};
//! use canhgac_model::inventory::InventoryDocument;
//!
//! let file = "units:\n  - code: ubnd\n    name: UBND tỉnh\n    kind: province\n".as_bytes();
//! let parsed = parse("units.yaml", file).unwrap();
//! let changes = plan(&InventoryDocument::default(), &parsed, PlanOptions::default()).unwrap();
//! assert_eq!(changes.summary().created, 1);
//!
//! // Importing an export changes nothing.
//! let again = parse("export.yaml", to_yaml(&parsed.document).as_bytes()).unwrap();
//! assert!(plan(&parsed.document, &again, PlanOptions { prune: true }).unwrap().is_empty());
//!
//! let err = parse("units.yaml", b"units:\n  - code: x\n    name: X\n    kind: so\n").unwrap_err();
//! assert!(err.to_string().starts_with("units.yaml:4: kind: unknown value \"so\""));
//! ```

mod csv_io;
mod demo;
mod error;
mod generate;
mod parsed;
mod plan;
mod tree;
mod values;
mod yaml_read;
mod yaml_write;

pub use canhgac_model::inventory::{InventoryDocument, InventoryPlan};
pub use csv_io::to_csv;
pub use demo::{demo_document, demo_yaml, DEMO_FILE_NAME};
pub use error::{InventoryError, InventoryErrors, MAX_ERRORS};
pub use generate::generate_document;
pub use parsed::{Origin, ParsedInventory, RecordOrigins, Sections};
pub use plan::{plan, PlanOptions};
pub use yaml_write::to_yaml;

use error::Errors;

/// The formats [`parse`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The YAML format.
    Yaml,
    /// One CSV file of one kind of record.
    Csv,
}

impl Format {
    /// The format a file name's extension names (`.yaml`, `.yml`, `.csv`, any case).
    pub fn from_file_name(file_name: &str) -> Option<Format> {
        let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Reads one inventory file, its format told by the name's extension (`.yaml`, `.yml`, `.csv`).
pub fn parse(file_name: &str, bytes: &[u8]) -> Result<ParsedInventory, InventoryErrors> {
    match Format::from_file_name(file_name) {
        Some(format) => parse_as(file_name, bytes, format),
        None => Err(InventoryErrors(vec![InventoryError::new(
            file_name,
            None,
            None,
            "cannot tell the format: the name must end in .yaml, .yml or .csv",
        )])),
    }
}

/// Reads one inventory file in the given format (for uploads whose name says nothing).
pub fn parse_as(
    file_name: &str,
    bytes: &[u8],
    format: Format,
) -> Result<ParsedInventory, InventoryErrors> {
    let mut errors = Errors::new(file_name);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err(InventoryErrors(vec![InventoryError::new(
                file_name,
                Some(line),
                None,
                "the file is not UTF-8 text; save it as \"CSV UTF-8\" or UTF-8",
            )]));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parsed = match format {
        Format::Yaml => yaml_read::read(file_name, text, &mut errors),
        Format::Csv => csv_io::read(file_name, text, &mut errors),
    };
    errors.finish(parsed)
}

/// Reads several files (say `units.csv`, `systems.csv`, `assets.csv`) as one inventory,
/// reporting the errors of all of them and keys defined in two files.
pub fn parse_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<ParsedInventory, InventoryErrors> {
    let mut parts = Vec::new();
    let mut all = Vec::new();
    for (name, bytes) in files {
        match parse(name, bytes) {
            Ok(part) => parts.push(part),
            Err(errors) => all.extend(errors),
        }
    }
    if !all.is_empty() {
        all.truncate(MAX_ERRORS);
        return Err(InventoryErrors(all));
    }
    ParsedInventory::merge(parts)
}
