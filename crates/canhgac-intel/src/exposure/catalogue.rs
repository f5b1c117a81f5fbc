//! Which breached sites are social networks or forums: a built-in catalogue of well-known ones,
//! extended by breach-metadata CSV, and the text helpers that match a site by name or domain.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ExposureError;
use crate::csv_text::{cell, detect_delimiter, CsvRows, Record};

/// What kind of site a breach came from. Social networks and forums matter most: clause 1e
/// forbids registering there with an official address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteCategory {
    /// A social network (Facebook, Zalo, TikTok…).
    SocialNetwork,
    /// A forum or discussion board (voz.vn, Reddit…).
    Forum,
    /// Any other site (a shop, a service, an unknown domain).
    Other,
}

impl SiteCategory {
    /// Vietnamese label for the console and reports.
    pub fn label_vi(self) -> &'static str {
        match self {
            SiteCategory::SocialNetwork => "Mạng xã hội",
            SiteCategory::Forum => "Diễn đàn",
            SiteCategory::Other => "Khác",
        }
    }

    /// The stable code used in evidence and the API.
    pub fn code(self) -> &'static str {
        match self {
            SiteCategory::SocialNetwork => "social_network",
            SiteCategory::Forum => "forum",
            SiteCategory::Other => "other",
        }
    }

    /// Reads a category word as people write it in metadata: English or Vietnamese, with or
    /// without diacritics, any case (`social`, `Social network`, `mạng xã hội`, `forum`,
    /// `diễn đàn`…). Words it does not know mean [`SiteCategory::Other`].
    pub fn from_word(word: &str) -> SiteCategory {
        match words_of(word).as_str() {
            "social" | "social network" | "social networks" | "social networking"
            | "social media" | "socialnetwork" | "sns" | "mang xa hoi" | "mxh" => {
                SiteCategory::SocialNetwork
            }
            "forum" | "forums" | "board" | "message board" | "discussion board" | "bbs"
            | "dien dan" => SiteCategory::Forum,
            _ => SiteCategory::Other,
        }
    }

    /// Social networks and forums: an address in their breach was used to register there.
    pub fn is_social_or_forum(self) -> bool {
        matches!(self, SiteCategory::SocialNetwork | SiteCategory::Forum)
    }
}

/// A site whose user data was breached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Display name (`Facebook`, `voz.vn`).
    pub name: String,
    /// Main domain, lower-case, when known.
    pub domain: Option<String>,
    /// Social network, forum or other.
    pub category: SiteCategory,
}

/// Sites known by name or domain: [`SiteCatalogue::builtin`] plus rows from breach metadata.
///
/// A name matches ignoring case, diacritics, spaces and punctuation (`Tinh Tế` = `tinhte`); a
/// domain matches itself and its subdomains (`m.facebook.com` is Facebook).
#[derive(Debug, Clone, Default)]
pub struct SiteCatalogue {
    sites: Vec<Site>,
    by_name: HashMap<String, usize>,
    by_domain: HashMap<String, usize>,
}

/// One built-in entry: name, domains (the first is the main one), other names, category.
type BuiltinSite = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    SiteCategory,
);

const BUILTIN_SITES: &[BuiltinSite] = {
    use SiteCategory::{Forum, Other, SocialNetwork};
    &[
        // Social networks, global.
        (
            "Facebook",
            &["facebook.com", "fb.com", "messenger.com"],
            &["fb"],
            SocialNetwork,
        ),
        ("Instagram", &["instagram.com"], &["ig"], SocialNetwork),
        (
            "Threads",
            &["threads.net", "threads.com"],
            &[],
            SocialNetwork,
        ),
        (
            "X (Twitter)",
            &["x.com", "twitter.com"],
            &["x", "twitter"],
            SocialNetwork,
        ),
        ("TikTok", &["tiktok.com"], &[], SocialNetwork),
        ("LinkedIn", &["linkedin.com"], &[], SocialNetwork),
        (
            "VK",
            &["vk.com", "vkontakte.ru"],
            &["vkontakte"],
            SocialNetwork,
        ),
        (
            "Telegram",
            &["telegram.org", "t.me", "telegram.me"],
            &[],
            SocialNetwork,
        ),
        (
            "Discord",
            &["discord.com", "discord.gg", "discordapp.com"],
            &[],
            SocialNetwork,
        ),
        ("Pinterest", &["pinterest.com"], &[], SocialNetwork),
        ("Tumblr", &["tumblr.com"], &[], SocialNetwork),
        ("Snapchat", &["snapchat.com"], &[], SocialNetwork),
        ("YouTube", &["youtube.com"], &[], SocialNetwork),
        (
            "WeChat",
            &["wechat.com", "weixin.qq.com"],
            &["weixin"],
            SocialNetwork,
        ),
        ("Weibo", &["weibo.com"], &["sina weibo"], SocialNetwork),
        ("Myspace", &["myspace.com"], &[], SocialNetwork),
        ("Badoo", &["badoo.com"], &[], SocialNetwork),
        ("Flickr", &["flickr.com"], &[], SocialNetwork),
        ("Mastodon", &["mastodon.social"], &[], SocialNetwork),
        ("Bluesky", &["bsky.app"], &["bsky"], SocialNetwork),
        // Social networks, Vietnamese.
        ("Zalo", &["zalo.me"], &[], SocialNetwork),
        ("Gapo", &["gapo.vn"], &[], SocialNetwork),
        (
            "Lotus",
            &["lotus.vn"],
            &["mang xa hoi lotus"],
            SocialNetwork,
        ),
        // Forums, global.
        ("Reddit", &["reddit.com"], &[], Forum),
        ("Quora", &["quora.com"], &[], Forum),
        ("4chan", &["4chan.org", "4channel.org"], &[], Forum),
        ("8kun", &["8kun.top"], &["8chan"], Forum),
        (
            "Stack Exchange",
            &["stackexchange.com", "stackoverflow.com"],
            &["stack overflow"],
            Forum,
        ),
        ("Hacker News", &["news.ycombinator.com"], &[], Forum),
        ("XDA Developers", &["xda-developers.com"], &["xda"], Forum),
        ("Disqus", &["disqus.com"], &[], Forum),
        ("Tapatalk", &["tapatalk.com"], &[], Forum),
        // Hosts of many small phpBB/vBulletin-style boards: each board is a subdomain.
        ("ProBoards", &["proboards.com"], &[], Forum),
        (
            "Forumotion",
            &["forumotion.com", "forumactif.com"],
            &[],
            Forum,
        ),
        ("RaidForums", &["raidforums.com"], &[], Forum),
        ("Nulled", &["nulled.to"], &[], Forum),
        // Forums, Vietnamese.
        ("voz.vn", &["voz.vn"], &["voz", "vozforums"], Forum),
        ("Tinh tế", &["tinhte.vn"], &[], Forum),
        ("Webtretho", &["webtretho.com"], &[], Forum),
        ("Otofun", &["otofun.net"], &[], Forum),
        ("Làm cha mẹ", &["lamchame.com"], &[], Forum),
        ("GameVN", &["gamevn.com"], &[], Forum),
        ("HVA Online", &["hvaonline.net"], &["hva"], Forum),
        ("Spiderum", &["spiderum.com"], &[], Forum),
        // A few often-named breaches of other kinds, so that their names are recognised.
        ("Adobe", &["adobe.com"], &[], Other),
        ("Canva", &["canva.com"], &[], Other),
        ("Dropbox", &["dropbox.com"], &[], Other),
    ]
};

impl SiteCatalogue {
    /// Well-known social networks and forums, global and Vietnamese, plus a few often-named
    /// breaches of other sites.
    pub fn builtin() -> Self {
        let mut catalogue = SiteCatalogue::default();
        for &(name, domains, aliases, category) in BUILTIN_SITES {
            let site = Site {
                name: name.to_string(),
                domain: domains.first().map(|domain| domain.to_string()),
                category,
            };
            let index = catalogue.sites.len();
            catalogue.sites.push(site);
            catalogue.index(
                index,
                std::iter::once(name).chain(aliases.iter().copied()),
                domains,
            );
        }
        catalogue
    }

    /// Adds the sites of a breach-metadata CSV and returns how many rows it read.
    ///
    /// The header row names the columns: `site`, `name` or `breach` (required), `domain` and
    /// `category` (optional); other columns are ignored. An empty category or domain cell keeps
    /// what the catalogue already knows of that site. A row wins over a known site of the same
    /// name or domain. All or nothing: on an error the catalogue is unchanged.
    pub fn add_metadata_csv(&mut self, text: &str) -> Result<usize, ExposureError> {
        let delimiter = detect_delimiter(text, |column| {
            MetadataColumn::from_header(column) == Some(MetadataColumn::Name)
        })
        .ok_or(ExposureError::NoSiteColumn)?;
        let mut rows = CsvRows::new(text, delimiter);
        let header = rows.next_record()?.ok_or(ExposureError::NoSiteColumn)?;
        let column_of = |wanted: MetadataColumn| {
            header
                .fields
                .iter()
                .position(|column| MetadataColumn::from_header(column) == Some(wanted))
        };
        let name_column = column_of(MetadataColumn::Name).ok_or(ExposureError::NoSiteColumn)?;
        let domain_column = column_of(MetadataColumn::Domain);
        let category_column = column_of(MetadataColumn::Category);

        // Read every row before changing anything: an import is all or nothing.
        let mut sites = Vec::new();
        while let Some(row) = rows.next_record()? {
            sites.push(metadata_site(
                &row,
                name_column,
                domain_column,
                category_column,
            )?);
        }
        let added = sites.len();
        for site in sites {
            self.add_user_site(site);
        }
        Ok(added)
    }

    /// The site a breach source names, by domain (or a parent domain) or by name.
    pub fn lookup(&self, source: &str) -> Option<&Site> {
        let host = host_of(source);
        let lowered = host.to_lowercase();
        let mut candidate = lowered.trim_end_matches('.');
        while candidate.contains('.') {
            if let Some(site) = self
                .by_domain
                .get(candidate)
                .and_then(|&i| self.sites.get(i))
            {
                return Some(site);
            }
            match candidate.split_once('.') {
                Some((_, parent)) => candidate = parent,
                None => break,
            }
        }
        let key = name_key(host);
        if key.is_empty() {
            return None;
        }
        self.by_name.get(&key).and_then(|&i| self.sites.get(i))
    }

    /// Every site the catalogue knows.
    pub fn sites(&self) -> impl Iterator<Item = &Site> {
        self.sites.iter()
    }

    /// A metadata row replaces the site it names (by name or domain), keeping the old domain
    /// and category when the row leaves them out.
    fn add_user_site(&mut self, row: MetadataSite) {
        let existing = self.by_name.get(&name_key(&row.name)).copied().or_else(|| {
            row.domain
                .as_deref()
                .and_then(|domain| self.by_domain.get(domain).copied())
        });
        let index = match existing.and_then(|i| self.sites.get_mut(i).map(|site| (i, site))) {
            Some((index, known)) => {
                known.name = row.name.clone();
                if row.domain.is_some() {
                    known.domain = row.domain.clone();
                }
                if let Some(category) = row.category {
                    known.category = category;
                }
                index
            }
            None => {
                self.sites.push(Site {
                    name: row.name.clone(),
                    domain: row.domain.clone(),
                    category: row.category.unwrap_or(SiteCategory::Other),
                });
                self.sites.len() - 1
            }
        };
        let domains: Vec<&str> = row.domain.as_deref().into_iter().collect();
        self.index(index, std::iter::once(row.name.as_str()), &domains);
    }

    fn index<'a>(&mut self, index: usize, names: impl Iterator<Item = &'a str>, domains: &[&str]) {
        for name in names {
            let key = name_key(name);
            if !key.is_empty() {
                self.by_name.insert(key, index);
            }
        }
        for domain in domains {
            self.by_domain.insert(domain.to_string(), index);
        }
    }
}

/// Column roles of a breach-metadata CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MetadataColumn {
    Name,
    Domain,
    Category,
}

impl MetadataColumn {
    /// The role of a header cell, by its words in any case, with or without diacritics.
    pub(super) fn from_header(header: &str) -> Option<Self> {
        match words_of(header).as_str() {
            "site" | "name" | "breach" | "breach name" | "title" | "source" | "website" | "ten"
            | "trang" => Some(MetadataColumn::Name),
            "domain" | "site domain" | "breach domain" | "ten mien" => Some(MetadataColumn::Domain),
            "category" | "type" | "site category" | "loai" | "phan loai" | "danh muc" => {
                Some(MetadataColumn::Category)
            }
            _ => None,
        }
    }
}

struct MetadataSite {
    name: String,
    domain: Option<String>,
    category: Option<SiteCategory>,
}

fn metadata_site(
    row: &Record,
    name_column: usize,
    domain_column: Option<usize>,
    category_column: Option<usize>,
) -> Result<MetadataSite, ExposureError> {
    let domain = match cell(row, domain_column) {
        Some(text) => Some(domain_name(text).ok_or_else(|| ExposureError::Line {
            line: row.line,
            message: "the domain column does not hold a domain name".to_string(),
        })?),
        None => None,
    };
    let name = match (cell(row, Some(name_column)), &domain) {
        (Some(name), _) => name.to_string(),
        (None, Some(domain)) => domain.clone(),
        (None, None) => {
            return Err(ExposureError::Line {
                line: row.line,
                message: "the row names no site (the site column and the domain are empty)"
                    .to_string(),
            })
        }
    };
    let category = cell(row, category_column).map(SiteCategory::from_word);
    Ok(MetadataSite {
        name,
        domain,
        category,
    })
}

/// Lower-case, without Vietnamese diacritics (precomposed or combining), so that `Mạng Xã Hội`
/// and `mang xa hoi` compare equal whatever normalisation form the file used.
pub(crate) fn fold(text: &str) -> String {
    const COMBINING_MARKS: std::ops::RangeInclusive<char> = '\u{300}'..='\u{36f}';
    const BASE_LETTERS: [(char, &str); 7] = [
        ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
        ('e', "èéẻẽẹêềếểễệ"),
        ('i', "ìíỉĩị"),
        ('o', "òóỏõọôồốổỗộơờớởỡợ"),
        ('u', "ùúủũụưừứửữự"),
        ('y', "ỳýỷỹỵ"),
        ('d', "đ"),
    ];
    text.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !COMBINING_MARKS.contains(c))
        .map(|c| {
            if c.is_ascii() {
                return c;
            }
            BASE_LETTERS
                .iter()
                .find(|(_, accented)| accented.contains(c))
                .map_or(c, |&(base, _)| base)
        })
        .collect()
}

/// Folded words separated by single spaces: `Social_Network` → `social network`.
pub(crate) fn words_of(text: &str) -> String {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key a site name is matched by: folded letters and digits only.
fn name_key(name: &str) -> String {
    fold(name).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The host of a URL-shaped source (`https://m.facebook.com/x` → `m.facebook.com`); other text
/// as it is, trimmed.
pub(crate) fn host_of(source: &str) -> &str {
    let trimmed = source.trim();
    let lowered_prefix = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
    let after_scheme = if lowered_prefix.starts_with("https://") {
        trimmed.get(8..).unwrap_or("")
    } else if lowered_prefix.starts_with("http://") {
        trimmed.get(7..).unwrap_or("")
    } else {
        return trimmed;
    };
    after_scheme
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("")
}

/// A domain name as written by people (`WWW.Example.vn.`), normalised (`example.vn`), when the
/// text has the shape of one: dot-separated labels of letters, digits and hyphens, ending in an
/// alphabetic (or `xn--`) top-level domain.
pub(super) fn domain_name(text: &str) -> Option<String> {
    let lowered = host_of(text).to_ascii_lowercase();
    let lowered = lowered.trim_end_matches('.');
    let domain = lowered.strip_prefix("www.").unwrap_or(lowered);
    if domain.len() > 253 {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last()?;
    let valid_label = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let valid_tld =
        (tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_lowercase())) || tld.starts_with("xn--");
    (labels.len() >= 2 && labels.iter().all(valid_label) && valid_tld).then(|| domain.to_string())
}
