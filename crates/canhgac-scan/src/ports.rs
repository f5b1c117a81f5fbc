//! Port lists: the user's `--ports` spec and our named lists.
//!
//! The lists are ours: `quick` is the service ports provincial systems actually expose (web,
//! mail, remote access, directories, databases, message brokers, management panels);
//! `top1000` is `quick` followed by 1–1024 and then the next ports in order until there are
//! 1,000; `all` is 1–65535.

use std::collections::BTreeSet;

/// The ports of the `quick` list, most telling first.
pub const QUICK: &[u16] = &[
    80, 443, 22, 25, 21, 23, 53, 110, 143, 465, 587, 993, 995, 3389, 445, 139, 135, 1433, 1521,
    3306, 5432, 6379, 11211, 27017, 9200, 9300, 5601, 8080, 8443, 8000, 8008, 8081, 8088, 8888,
    9000, 9090, 9443, 10000, 7001, 7002, 7071, 7443, 4443, 4848, 8009, 8500, 8834, 2375, 2376,
    2379, 6443, 10250, 5900, 5901, 5985, 5986, 389, 636, 3268, 88, 111, 2049, 873, 161, 514, 631,
    1080, 3128, 1194, 1723, 1883, 5672, 15672, 9092, 2181, 9042, 4369, 5000, 5001, 3000, 3690,
    2082, 2083, 2086, 2087, 50000, 50070, 81, 137, 1434, 27018,
];

/// A port spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("danh sách cổng «{spec}» không hợp lệ: {problem}")]
pub struct PortSpecError {
    /// The item at fault.
    pub spec: String,
    /// What is wrong, in Vietnamese.
    pub problem: String,
}

/// The `top1000` list.
pub fn top1000() -> Vec<u16> {
    let mut seen: BTreeSet<u16> = BTreeSet::new();
    let mut out = Vec::with_capacity(1000);
    for &port in QUICK.iter().chain(&(1..=u16::MAX).collect::<Vec<_>>()) {
        if out.len() == 1000 {
            break;
        }
        if seen.insert(port) {
            out.push(port);
        }
    }
    out
}

/// Reads a port spec: comma-separated ports (`443`), ranges (`1-1024`, `-` for all), and the
/// named lists `quick`, `top1000`, `all`. Order is kept (first mention wins), duplicates dropped.
pub fn parse_ports(spec: &str) -> Result<Vec<u16>, PortSpecError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |port: u16, out: &mut Vec<u16>| {
        if seen.insert(port) {
            out.push(port);
        }
    };
    let error = |item: &str, problem: &str| PortSpecError {
        spec: item.to_owned(),
        problem: problem.to_owned(),
    };
    for item in spec.split(',').map(str::trim) {
        match item.to_ascii_lowercase().as_str() {
            "" => return Err(error(spec, "có mục trống")),
            "quick" | "top100" => QUICK.iter().for_each(|&p| push(p, &mut out)),
            "top1000" => top1000().into_iter().for_each(|p| push(p, &mut out)),
            "all" | "-" => (1..=u16::MAX).for_each(|p| push(p, &mut out)),
            _ => {
                let (low, high) = match item.split_once('-') {
                    Some((low, high)) => (low.trim(), high.trim()),
                    None => (item, item),
                };
                let read = |text: &str, default: u16| -> Result<u16, PortSpecError> {
                    if text.is_empty() {
                        return Ok(default);
                    }
                    match text.parse::<u32>() {
                        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
                        Ok(_) => Err(error(item, "cổng phải từ 1 đến 65535")),
                        Err(_) => Err(error(item, "không phải số cổng")),
                    }
                };
                let (low, high) = (read(low, 1)?, read(high, u16::MAX)?);
                if low > high {
                    return Err(error(item, "đầu khoảng lớn hơn cuối khoảng"));
                }
                (low..=high).for_each(|p| push(p, &mut out));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_ports_ranges_and_lists() {
        assert_eq!(parse_ports("443, 80,443").unwrap(), vec![443, 80]);
        assert_eq!(parse_ports("20-23").unwrap(), vec![20, 21, 22, 23]);
        assert_eq!(parse_ports("-").unwrap().len(), 65535);
        assert_eq!(parse_ports("65530-").unwrap().len(), 6);
        assert_eq!(parse_ports("quick").unwrap().len(), QUICK.len());
        let top = parse_ports("top1000").unwrap();
        assert_eq!(top.len(), 1000);
        assert_eq!(&top[..2], &[80, 443]);
        assert_eq!(top.iter().collect::<BTreeSet<_>>().len(), 1000);
    }

    #[test]
    fn bad_specs_name_the_item() {
        let error = parse_ports("80,0").unwrap_err();
        assert_eq!(error.spec, "0");
        assert!(parse_ports("80,,81").is_err());
        assert!(parse_ports("90-80")
            .unwrap_err()
            .problem
            .contains("lớn hơn"));
        assert!(parse_ports("http")
            .unwrap_err()
            .problem
            .contains("không phải"));
        assert!(parse_ports("70000").is_err());
    }

    #[test]
    fn the_quick_list_has_no_duplicates() {
        assert_eq!(QUICK.iter().collect::<BTreeSet<_>>().len(), QUICK.len());
    }
}
