//! The console's two languages: Vietnamese (the default) and English.
//!
//! Every string the console shows goes through [`Msg`] (a closed table checked by the compiler)
//! or one of the `label` functions for domain enums, so a missing translation cannot ship.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use canhgac_model::{
    AlertSource, AlertStatus, AssetKind, IndicatorKind, InformationClass, MonitorKind,
    MonitorStatus, Role, Severity, SystemKind, UnitKind,
};

use crate::AppState;

/// Name of the cookie holding the chosen language.
pub const LANG_COOKIE: &str = "canhgac_lang";

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Tiếng Việt (the default).
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// The code used in the cookie, URLs and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Parses `vi` or `en`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the string for this language.
    pub fn pick(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The translation of a table entry.
    pub fn t(self, msg: Msg) -> &'static str {
        let (vi, en) = msg.texts();
        self.pick(vi, en)
    }

    /// The language of a request: the cookie if valid, else `default`.
    pub fn from_parts(parts: &Parts, default: Lang) -> Lang {
        cookie(&parts.headers, LANG_COOKIE)
            .and_then(|v| Lang::from_code(&v))
            .unwrap_or(default)
    }
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let default = Lang::from_code(&state.settings.default_lang).unwrap_or_default();
        let lang = Lang::from_parts(parts, default);
        // Error pages of requests without a session still speak the chosen language.
        if let Some(slot) = parts.extensions.get::<super::error::ChromeSlot>() {
            let path = parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |pq| pq.to_string());
            slot.fill_if_empty(super::layout::Chrome::anonymous(lang, path));
        }
        Ok(lang)
    }
}

macro_rules! messages {
    ($($name:ident => $vi:literal, $en:literal;)+) => {
        /// Every fixed string of the console, with its Vietnamese and English text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Msg { $($name),+ }

        impl Msg {
            /// Every entry (for tests of the table).
            pub const ALL: &'static [Msg] = &[$(Msg::$name),+];

            /// (Vietnamese, English).
            pub fn texts(self) -> (&'static str, &'static str) {
                match self { $(Msg::$name => ($vi, $en)),+ }
            }
        }
    };
}

messages! {
    Product => "canhgac", "canhgac";
    Tagline => "Giám sát an toàn thông tin", "Security operations";
    SignOut => "Đăng xuất", "Sign out";
    SignIn => "Đăng nhập", "Sign in";
    Username => "Tên đăng nhập", "Username";
    Password => "Mật khẩu", "Password";
    PasswordConfirm => "Nhập lại mật khẩu", "Confirm password";
    PasswordMismatch => "Hai mật khẩu không khớp", "The passwords do not match";
    DisplayName => "Họ và tên", "Display name";
    LoginFailed => "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password.";
    LoginBlocked => "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.", "Too many failed sign-ins. Please try again later.";
    NoUsersHint => "Chưa có người dùng nào. Hãy mở liên kết cài đặt lần đầu được in ra khi khởi động canhgac.", "There are no users yet. Open the one-time setup link printed when canhgac started.";
    SetupTitle => "Tạo tài khoản quản trị đầu tiên", "Create the first administrator";
    SetupToken => "Mã cài đặt", "Setup token";
    SetupTokenInvalid => "Mã cài đặt không hợp lệ hoặc đã được sử dụng.", "The setup token is invalid or already used.";
    SetupUnavailable => "Cài đặt lần đầu đã hoàn tất.", "First-time setup is already done.";
    SetupSubmit => "Tạo tài khoản", "Create account";
    Language => "Ngôn ngữ", "Language";
    NavInventory => "Danh mục", "Inventory";
    NavOperations => "Vận hành", "Operations";
    NavAdmin => "Quản trị", "Administration";
    Dashboard => "Tổng quan", "Dashboard";
    Units => "Đơn vị", "Units";
    Unit => "Đơn vị", "Unit";
    Systems => "Hệ thống thông tin", "Information systems";
    System => "Hệ thống thông tin", "Information system";
    Assets => "Tài sản", "Assets";
    Asset => "Tài sản", "Asset";
    Contacts => "Đầu mối liên hệ", "Contacts";
    Contact => "Đầu mối liên hệ", "Contact";
    Authorities => "Cơ quan chức năng", "Authorities";
    Authority => "Cơ quan chức năng", "Authority";
    Users => "Người dùng", "Users";
    User => "Người dùng", "User";
    Audit => "Nhật ký", "Audit log";
    Inventory => "Nhập/xuất danh mục", "Import/export";
    Role => "Vai trò", "Role";
    New => "Thêm mới", "New";
    Edit => "Sửa", "Edit";
    Delete => "Xóa", "Delete";
    Save => "Lưu", "Save";
    Cancel => "Hủy", "Cancel";
    Search => "Tìm kiếm", "Search";
    Filter => "Lọc", "Filter";
    All => "Tất cả", "All";
    None => "— Không —", "— None —";
    Previous => "Trang trước", "Previous";
    Next => "Trang sau", "Next";
    PageOf => "Trang", "Page";
    Total => "Tổng số", "Total";
    Empty => "Chưa có dữ liệu.", "Nothing here yet.";
    Code => "Mã", "Code";
    Name => "Tên", "Name";
    Kind => "Loại", "Kind";
    Parent => "Đơn vị cấp trên", "Parent unit";
    Address => "Địa chỉ", "Address";
    ValidFrom => "Hiệu lực từ ngày", "Valid from";
    ValidTo => "Hiệu lực đến ngày", "Valid to";
    DateHint => "dd/mm/yyyy", "dd/mm/yyyy";
    CreatedAt => "Ngày tạo", "Created";
    UpdatedAt => "Cập nhật", "Updated";
    Children => "Đơn vị trực thuộc", "Child units";
    TreeView => "Dạng cây", "Tree";
    ListView => "Danh sách", "List";
    OwnerUnit => "Cơ quan chủ quản", "Owner unit";
    OperatorUnit => "Đơn vị vận hành", "Operator unit";
    SecurityLevel => "Cấp độ", "Security level";
    LevelDecisionNumber => "Số quyết định phê duyệt cấp độ", "Level decision number";
    LevelDecisionDate => "Ngày quyết định", "Level decision date";
    InformationClass => "Phân loại thông tin", "Information class";
    Purpose => "Mục đích sử dụng", "Purpose";
    Services => "Dịch vụ (mỗi dòng một mục)", "Services (one per line)";
    SecurityControls => "Biện pháp bảo đảm ATTT (mỗi dòng một mục)", "Security controls (one per line)";
    ServicesShort => "Dịch vụ", "Services";
    SecurityControlsShort => "Biện pháp bảo đảm ATTT", "Security controls";
    Isp => "Nhà cung cấp Internet", "Internet provider";
    SecurityProvider => "Đơn vị cung cấp dịch vụ ATTT", "Security provider";
    OutsideScope => "(ngoài phạm vi)", "(outside your units)";
    Value => "Địa chỉ", "Value";
    HostName => "Tên máy", "Host name";
    Os => "Hệ điều hành", "Operating system";
    OsVersion => "Phiên bản HĐH", "OS version";
    Software => "Phần mềm (mỗi dòng: tên | phiên bản | CPE)", "Software (one per line: name | version | CPE)";
    SoftwareShort => "Phần mềm", "Software";
    Note => "Ghi chú", "Note";
    Position => "Chức vụ", "Position";
    Responsibility => "Nhiệm vụ", "Responsibility";
    Phone => "Điện thoại", "Phone";
    Email => "Thư điện tử", "Email";
    Phones => "Điện thoại (mỗi dòng một số)", "Phones (one per line)";
    Emails => "Thư điện tử (mỗi dòng một địa chỉ)", "Emails (one per line)";
    InForce => "Đang hiệu lực", "In force";
    Expired => "Hết hiệu lực", "No longer in force";
    NotYet => "Chưa hiệu lực", "Not yet in force";
    UnitScope => "Phạm vi đơn vị", "Unit scope";
    UnitScopeHint => "Giữ Ctrl để chọn nhiều đơn vị", "Hold Ctrl to pick several units";
    InitialPassword => "Mật khẩu ban đầu", "Initial password";
    NewPassword => "Mật khẩu mới", "New password";
    ResetPassword => "Đặt lại mật khẩu", "Reset password";
    PasswordReset => "Đã đặt lại mật khẩu; các phiên đăng nhập của người dùng đã kết thúc.", "Password reset; the user's sessions have ended.";
    Disabled => "Đã khóa", "Disabled";
    Active => "Đang hoạt động", "Active";
    Status => "Trạng thái", "Status";
    Disable => "Khóa tài khoản", "Disable";
    Enable => "Mở khóa tài khoản", "Enable";
    ApiTokens => "Khóa API", "API tokens";
    TokenName => "Mục đích sử dụng khóa", "What the token is for";
    CreateToken => "Tạo khóa API", "Create API token";
    TokenSecretOnce => "Đây là lần duy nhất khóa được hiển thị. Hãy sao chép và lưu giữ cẩn thận.", "This is the only time the token is shown. Copy it and keep it safe.";
    Revoke => "Thu hồi", "Revoke";
    Revoked => "Đã thu hồi", "Revoked";
    Prefix => "Tiền tố", "Prefix";
    LastUsed => "Lần dùng cuối", "Last used";
    Back => "Quay lại", "Back";
    When => "Thời điểm", "When";
    Actor => "Người thực hiện", "Actor";
    Action => "Hành động", "Action";
    Entity => "Đối tượng", "Record";
    Before => "Trước", "Before";
    After => "Sau", "After";
    Details => "Chi tiết", "Details";
    Counts => "Số lượng", "Counts";
    SystemsByKind => "Hệ thống theo loại", "Systems by kind";
    PerUnit => "Theo đơn vị", "Per unit";
    ImportTitle => "Nhập danh mục từ tệp", "Import an inventory file";
    ImportHint => "Tệp YAML (.yaml, .yml) hoặc CSV (.csv). Bạn sẽ xem trước các thay đổi trước khi áp dụng.", "A YAML (.yaml, .yml) or CSV (.csv) file. You will preview the changes before they are applied.";
    File => "Tệp", "File";
    Prune => "Xóa các bản ghi không có trong tệp", "Delete records missing from the file";
    Preview => "Xem trước", "Preview";
    Apply => "Áp dụng thay đổi", "Apply changes";
    PlanEmpty => "Không có thay đổi: danh mục đã khớp với tệp.", "No changes: the inventory already matches the file.";
    PlanChanged => "Danh mục đã thay đổi kể từ lúc xem trước. Hãy xem lại.", "The inventory changed since the preview. Please review again.";
    ImportExpired => "Phiên nhập đã hết hạn. Hãy tải tệp lên lại.", "The import has expired. Please upload the file again.";
    ImportErrors => "Tệp có lỗi, chưa có gì được ghi:", "The file has errors; nothing was written:";
    ImportDone => "Đã nhập danh mục", "Inventory imported";
    Created => "Thêm mới", "Created";
    Updated => "Cập nhật", "Updated";
    Deleted => "Xóa", "Deleted";
    Operation => "Thao tác", "Change";
    Record => "Bản ghi", "Record";
    ExportTitle => "Xuất danh mục", "Export the inventory";
    ExportYaml => "Tải về YAML", "Download YAML";
    ExportCsv => "Tải về CSV", "Download CSV";
    AuthoritiesNotAllowed => "Vai trò của bạn không được thay đổi cơ quan chức năng.", "Your role may not change authorities.";
    NotFoundTitle => "Không tìm thấy", "Not found";
    NotFoundText => "Trang hoặc bản ghi này không tồn tại, hoặc nằm ngoài phạm vi của bạn.", "This page or record does not exist, or is outside your units.";
    ForbiddenTitle => "Không có quyền", "Forbidden";
    ForbiddenText => "Bạn không có quyền thực hiện thao tác này.", "You may not do this.";
    CsrfText => "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.", "The form expired or is invalid. Reload the page and try again.";
    ErrorTitle => "Đã xảy ra lỗi", "Something went wrong";
    ErrorText => "Máy chủ gặp lỗi khi xử lý yêu cầu. Hãy thử lại sau.", "The server failed to handle the request. Please try again later.";
    BadRequestTitle => "Yêu cầu không hợp lệ", "Bad request";
    TooLargeTitle => "Tệp quá lớn", "Too large";
    TooLargeText => "Dữ liệu gửi lên vượt quá giới hạn cho phép.", "The upload is larger than allowed.";
    GoHome => "Về trang tổng quan", "Back to the dashboard";
    FormHasErrors => "Vui lòng sửa các lỗi bên dưới.", "Please correct the errors below.";
    Required => "bắt buộc", "required";
    InvalidDate => "ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy", "is not a date; type it as dd/mm/yyyy";
    InvalidNumber => "không phải là số hợp lệ", "is not a valid number";
    InvalidChoice => "lựa chọn không hợp lệ", "is not one of the choices";
    ConfirmDelete => "Xóa bản ghi này?", "Delete this record?";
    ReadOnly => "Bạn chỉ có quyền xem.", "You have read-only access.";
    SignedInAs => "Đăng nhập với tên", "Signed in as";
    Yes => "Có", "Yes";
    No => "Không", "No";
    SystemCount => "Số hệ thống", "Systems";
    AssetCount => "Số tài sản", "Assets";
    EveryUnit => "Toàn tỉnh", "Every unit";
    AddAsset => "Thêm tài sản", "Add asset";
    AddSystem => "Thêm hệ thống", "Add system";
    AddContact => "Thêm đầu mối", "Add contact";
    AddChild => "Thêm đơn vị trực thuộc", "Add child unit";
    RemoveFilter => "Bỏ lọc", "Remove filter";
    ShowSubtree => "Mở rộng", "Expand";
    WholeTree => "Toàn bộ cây", "Whole tree";
    TreeLazyHint => "Cây lớn: hiển thị hai cấp, bấm “Mở rộng” để xem cấp dưới.", "Large tree: two levels shown; choose “Expand” to see further down.";
    ViewAllSystems => "Xem trong danh sách hệ thống", "Open in the systems list";
    ViewAllAssets => "Tài sản của đơn vị", "Assets of this unit";
    ViewAllAssetsOfSystem => "Xem trong danh sách tài sản", "Open in the assets list";
    ViewAllContacts => "Xem trong danh sách đầu mối", "Open in the contacts list";
    Alerts => "Cảnh báo", "Alerts";
    Alert => "Cảnh báo", "Alert";
    Events => "Sự kiện", "Events";
    Indicators => "Chỉ báo (IOC)", "Indicators (IOC)";
    Rules => "Luật phát hiện", "Detection rules";
    Suppressions => "Loại trừ", "Suppressions";
    Severity => "Mức độ", "Severity";
    MinSeverity => "Mức độ từ", "Severity at least";
    Source => "Nguồn", "Source";
    Title => "Tiêu đề", "Title";
    Host => "Máy", "Host";
    HitCount => "Số lần", "Hits";
    FirstSeen => "Lần đầu", "First seen";
    LastSeen => "Lần cuối", "Last seen";
    OpenAlerts => "Đang mở (mới và đang xử lý)", "Open (new and acknowledged)";
    OpenAlertsBySeverity => "Cảnh báo đang mở theo mức độ", "Open alerts by severity";
    NewAlertsInScope => "cảnh báo đang mở", "open alerts";
    Unattributed => "Chưa xác định đơn vị", "No unit";
    RuleKey => "Mã luật", "Rule key";
    Tags => "Nhãn", "Tags";
    AttackTags => "Kỹ thuật ATT&CK", "ATT&CK techniques";
    Evidence => "Sự kiện làm bằng chứng", "Evidence events";
    Triage => "Xử lý cảnh báo", "Triage";
    Comment => "Ghi chú", "Comment";
    TriageSubmit => "Cập nhật trạng thái", "Update status";
    SuppressThis => "Loại trừ cảnh báo này", "Suppress this";
    SuppressThisHint => "Tạo một loại trừ cho luật, đơn vị và máy của cảnh báo này.", "Create a suppression for this alert's rule, unit and host.";
    Field => "Trường", "Field";
    FieldValue => "Giá trị", "Value";
    Message => "Nội dung", "Message";
    From => "Từ", "From";
    To => "Đến", "To";
    FieldConditions => "Trường = giá trị (mỗi dòng một điều kiện)", "Field = value (one per line)";
    FreeText => "Từ khóa", "Words";
    MoreEvents => "Xem thêm", "More";
    Scanned => "Số sự kiện đã quét", "Events examined";
    TookMs => "Thời gian", "Time taken";
    NoEventsFound => "Không tìm thấy sự kiện nào.", "No events found.";
    DetectionOff => "Máy chủ này chưa bật giám sát sự kiện (phát hiện).", "Detection is not running on this server.";
    SearchFailed => "Không tìm kiếm được trong kho sự kiện lúc này. Hãy thử lại sau.", "The event store cannot be searched now. Please try again later.";
    AllFields => "Tất cả các trường", "All fields";
    Received => "Nhận lúc", "Received";
    Peer => "Địa chỉ gửi", "Sender";
    LogsReceived => "Nhật ký đã nhận", "Logs received";
    EventsStored => "Sự kiện đã lưu", "Events stored";
    DecodeErrors => "Dòng không đọc được", "Undecodable lines";
    Dropped => "Bị bỏ", "Dropped";
    Listeners => "Cổng nhận nhật ký", "Listening on";
    IndicatorValue => "Giá trị", "Value";
    Description => "Mô tả", "Description";
    ExpiresAt => "Hết hạn", "Expires";
    AddIndicator => "Thêm chỉ báo", "Add indicator";
    ImportIndicators => "Nhập chỉ báo từ tệp CSV", "Import indicators from CSV";
    ImportIndicatorsHint => "Dòng đầu là tiêu đề: kind,value và tùy chọn source, description, severity, tags (ngăn cách bằng ;), expires_at. Tệp có lỗi thì không chỉ báo nào được nhập.", "The first line is the header: kind,value and optionally source, description, severity, tags (separated by ;), expires_at. A file with errors imports nothing.";
    Import => "Nhập", "Import";
    IndicatorsImported => "Đã nhập chỉ báo", "Indicators imported";
    IndicatorFileErrors => "Tệp có lỗi, không chỉ báo nào được nhập:", "The file has errors; no indicator was imported:";
    IndicatorsEveryUnit => "Chỉ báo áp dụng cho mọi đơn vị; chỉ quản trị viên và chuyên viên phân tích được thay đổi.", "Indicators apply to every unit; only administrators and analysts change them.";
    Level => "Mức độ", "Level";
    Logsource => "Nguồn nhật ký", "Logsource";
    Origin => "Tệp luật", "Rule file";
    RuleProblems => "Luật không nạp được", "Rules that did not load";
    Reason => "Lý do", "Reason";
    RulesLoaded => "Số luật đang dùng", "Rules in force";
    LoadedAt => "Nạp lúc", "Loaded";
    Enabled => "Đang bật", "Enabled";
    DisabledRule => "Đã tắt", "Disabled";
    Override => "Điều chỉnh", "Override";
    Overrides => "Điều chỉnh đang áp dụng", "Overrides in force";
    TurnOff => "Tắt", "Disable";
    TurnOn => "Bật", "Enable";
    SetLevel => "Đổi mức độ", "Set level";
    LevelFromRule => "— Theo luật —", "— From the rule —";
    RemoveOverride => "Bỏ điều chỉnh", "Remove override";
    ForUnit => "Áp dụng cho", "Applies to";
    AddSuppression => "Thêm loại trừ", "Add suppression";
    AnyRule => "Mọi luật", "Every rule";
    ExpiresOn => "Hết hạn ngày", "Expires on";
    Never => "Không hết hạn", "Never";
    UploadLog => "Nhập tệp nhật ký", "Import a log file";
    UploadLogHint => "Tệp EVTX, JSON lines, syslog hoặc nhật ký truy cập web (Apache/Nginx); định dạng được tự nhận biết. Các bản ghi hỏng được bỏ qua và liệt kê.", "An EVTX, JSON lines, syslog or web access log (Apache/Nginx) file; the format is recognised. Broken records are skipped and listed.";
    LogImported => "Đã nhập tệp", "Imported";
    LogNotImported => "Không nhập được tệp", "Could not import";
    Skipped => "bản ghi bị bỏ qua", "records skipped";
    UnitAlerts => "Cảnh báo đang mở của đơn vị", "Open alerts of this unit";
    UnitEvents => "Sự kiện của đơn vị", "Events of this unit";
    Monitors => "Giám sát", "Monitors";
    Monitor => "Giám sát", "Monitor";
    AddMonitor => "Thêm giám sát", "Add monitor";
    EditMonitor => "Sửa giám sát", "Edit monitor";
    MonitorsOfAsset => "Giám sát của tài sản", "Monitors of this asset";
    AssetId => "Mã tài sản (ID)", "Asset id";
    AssetIdHint => "Mở trang một tài sản và chọn “Thêm giám sát”, hoặc nhập mã (ID) của tài sản.", "Open an asset's page and choose “Add monitor”, or type the asset's id.";
    Target => "Đối tượng kiểm tra", "Target";
    TargetHint => "HTTP: URL đầy đủ; TCP, TLS, SMTP, IMAP: máy:cổng; DNS: tên miền; Ping: tên máy hoặc IP", "HTTP: a full URL; TCP, TLS, SMTP, IMAP: host:port; DNS: a domain name; ping: a host or IP";
    IntervalSecs => "Chu kỳ kiểm tra (giây)", "Interval (seconds)";
    TimeoutSecs => "Thời gian chờ (giây)", "Timeout (seconds)";
    Timing => "Chu kỳ / thời gian chờ", "Interval / timeout";
    Retries => "Số lần lỗi liên tiếp được bỏ qua", "Failures tolerated before alerting";
    MonitorEnabled => "Đang bật kiểm tra", "Checks enabled";
    MonitorPublic => "Hiện trên trang trạng thái công khai (chỉ tên và trạng thái)", "Show on the public status page (name and status only)";
    ProbesField => "Điểm đo (probe), ngăn cách bằng dấu phẩy", "Probes, comma-separated";
    ProbesHint => "local là chính máy chủ này; để trống nghĩa là local", "local is this server; blank means local";
    ProbesShort => "Điểm đo (probe)", "Probes";
    Probe => "Điểm đo (probe)", "Probe";
    Conditions => "Điều kiện (mỗi dòng một điều kiện)", "Conditions (one per line)";
    ConditionsHint => "Mỗi dòng một điều kiện, tất cả phải đúng. Ví dụ: [STATUS] == 200, [RESPONSE_TIME] < 2000, [CERTIFICATE_EXPIRATION] > 336h, [BODY] == pat(*Cổng thông tin*).", "One condition per line, all must hold. For example: [STATUS] == 200, [RESPONSE_TIME] < 2000, [CERTIFICATE_EXPIRATION] > 336h, [BODY] == pat(*Portal*).";
    BodyContains => "Trang phải chứa (mỗi dòng một chuỗi)", "Body must contain (one per line)";
    BodyNotContains => "Trang không được chứa (mỗi dòng một chuỗi)", "Body must not contain (one per line)";
    HttpMethod => "Phương thức HTTP", "HTTP method";
    RecordType => "Loại bản ghi DNS", "DNS record type";
    ExpectedValues => "Giá trị mong đợi (mỗi dòng một giá trị)", "Expected values (one per line)";
    Resolver => "Máy chủ DNS dùng để hỏi (ip:cổng)", "Resolver to ask (ip:port)";
    Starttls => "Yêu cầu STARTTLS", "Require STARTTLS";
    CertWarnDays => "Cảnh báo chứng thư sắp hết hạn trước (số ngày, ngăn cách bằng dấu phẩy)", "Warn before the certificate expires (days, comma-separated)";
    SectionHttp => "Kiểm tra HTTP(S)", "HTTP(S) checks";
    SectionDns => "Kiểm tra DNS", "DNS checks";
    SectionMailTls => "Thư điện tử và chứng thư TLS", "Mail and TLS certificates";
    Defacement => "Thay đổi giao diện", "Defacement";
    DefacementOn => "Theo dõi thay đổi giao diện của trang (chỉ với HTTP)", "Watch the page for defacement (HTTP only)";
    IgnoreSelectors => "Bỏ qua các phần động (bộ chọn CSS, mỗi dòng một)", "Ignore dynamic parts (CSS selectors, one per line)";
    Markers => "Dấu hiệu tấn công bổ sung (mỗi dòng một cụm từ)", "Extra defacement markers (one per line)";
    ChangeThreshold => "Ngưỡng thay đổi nội dung (0 đến 1)", "Change threshold (0 to 1)";
    LastCheck => "Lần kiểm tra cuối", "Last check";
    Latency => "Thời gian phản hồi", "Response time";
    LastMessage => "Kết quả cuối", "Last result";
    Availability => "Tỷ lệ hoạt động", "Availability";
    Last24h => "24 giờ", "24 hours";
    Last7d => "7 ngày", "7 days";
    Last30d => "30 ngày", "30 days";
    Since => "Từ lúc", "Since";
    CheckNow => "Kiểm tra ngay", "Check now";
    CheckFailed => "Không chạy được lần kiểm tra", "The check could not run";
    WatchOff => "Máy chủ này chưa chạy kiểm tra giám sát: vẫn quản lý được giám sát và xem lịch sử, nhưng không có lần kiểm tra mới.", "Checks are not running on this server: monitors can still be managed and their history read, but no new checks run.";
    ProbeResults => "Kết quả mới nhất theo điểm đo", "Latest result per probe";
    Passed => "Bình thường", "Passing";
    Failed => "Lỗi", "Failing";
    FailingFrom => "Lỗi từ probe", "Failing from probe";
    PassingFrom => "bình thường từ probe", "passing from probe";
    ResponseTime24h => "Thời gian phản hồi 24 giờ qua", "Response time, last 24 hours";
    ResponseTime30d => "Thời gian phản hồi 30 ngày qua (trung bình theo giờ)", "Response time, last 30 days (hourly mean)";
    NoMeasurements => "Chưa có số liệu đo.", "No measurements yet.";
    Outages => "Các lần ngừng hoạt động", "Outages";
    Started => "Bắt đầu", "Started";
    Ended => "Kết thúc", "Ended";
    Duration => "Thời lượng", "Duration";
    StillDown => "Đang ngừng", "Still down";
    MaintenanceWindows => "Lịch bảo trì", "Maintenance windows";
    MaintenanceHint => "Trong thời gian bảo trì, giám sát vẫn kiểm tra nhưng không phát cảnh báo.", "During maintenance the monitor is still checked but raises no alert.";
    MaintenanceNow => "Bảo trì ngay", "Maintenance now";
    MaintenanceMinutes => "Số phút kể từ bây giờ", "Minutes from now";
    ScheduleMaintenance => "Lên lịch bảo trì", "Schedule maintenance";
    StartsAt => "Bắt đầu (dd/mm/yyyy HH:MM)", "Starts (dd/mm/yyyy HH:MM)";
    EndsAt => "Kết thúc (dd/mm/yyyy HH:MM)", "Ends (dd/mm/yyyy HH:MM)";
    BaselineAt => "Mốc được lấy lúc", "Baseline taken";
    ApprovedBy => "Người duyệt", "Approved by";
    CapturedAutomatically => "Tự động, ở lần kiểm tra đầu tiên", "Automatically, at the first check";
    CandidateAt => "Phát hiện thay đổi lúc", "Change captured";
    PageMatchesBaseline => "Trang khớp với mốc đã duyệt.", "The page matches its approved baseline.";
    NoBaseline => "Chưa có mốc: mốc được lấy ở lần kiểm tra đầu tiên.", "No baseline yet: it is taken at the first check.";
    ApproveBaseline => "Duyệt làm mốc mới", "Approve as the new baseline";
    ApproveBaselineHint => "Nếu thay đổi là hợp lệ (cập nhật nội dung), duyệt trang hiện tại làm mốc mới; cảnh báo thay đổi giao diện sẽ được đóng.", "If the change is legitimate (a content update), approve the current page as the new baseline; the defacement alert is resolved.";
    DiffUnavailable => "Không hiển thị được so sánh chi tiết vì máy chủ này chưa chạy kiểm tra giám sát.", "The detailed comparison is not shown because checks are not running on this server.";
    PageTitle => "Tiêu đề trang", "Page title";
    PageSize => "Kích thước trang", "Page size";
    NewScripts => "Script từ nơi khác mới xuất hiện", "New external scripts";
    NewIframes => "Iframe mới xuất hiện", "New iframes";
    TextChanges => "Thay đổi nội dung", "Text changes";
    ConfirmDeleteMonitor => "Xóa giám sát này cùng toàn bộ lịch sử kiểm tra, mốc giao diện và lịch bảo trì?", "Delete this monitor with its whole check history, page baseline and maintenance windows?";
    Automatic => "Tạo tự động", "Created automatically";
    MonitorsByStatus => "Giám sát dịch vụ", "Monitors";
    Other => "Khác", "Other";
    PublicStatus => "Trạng thái dịch vụ", "Service status";
    PublicStatusHint => "Tình trạng hoạt động của các dịch vụ công của tỉnh.", "Whether the province's public services are up.";
    NoPublicMonitors => "Chưa có dịch vụ nào được công khai.", "No service is published yet.";
}

/// Vietnamese and English names of a unit kind.
pub fn unit_kind(lang: Lang, kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::Province => lang.pick("Tỉnh", "Province"),
        UnitKind::Department => lang.pick("Sở/ban/ngành", "Department"),
        UnitKind::District => lang.pick("Huyện (trước 2025)", "District (before 2025)"),
        UnitKind::Commune => lang.pick("Xã/phường", "Commune/ward"),
        UnitKind::PublicServiceUnit => lang.pick("Đơn vị sự nghiệp", "Public-service unit"),
        UnitKind::Isp => lang.pick("Doanh nghiệp viễn thông/ISP", "Telecom/ISP"),
        UnitKind::Enterprise => lang.pick("Doanh nghiệp", "Enterprise"),
    }
}

/// Vietnamese and English names of a system kind.
pub fn system_kind(lang: Lang, kind: SystemKind) -> &'static str {
    match kind {
        SystemKind::Portal => lang.pick("Cổng thông tin điện tử", "Web portal"),
        SystemKind::Email => lang.pick("Thư điện tử", "Email"),
        SystemKind::DocumentManagement => lang.pick("Quản lý văn bản", "Document management"),
        SystemKind::PublicServices => lang.pick("Dịch vụ công", "Public services"),
        SystemKind::Lgsp => lang.pick("LGSP", "LGSP"),
        SystemKind::Website => lang.pick("Trang thông tin điện tử", "Website"),
        SystemKind::Network => lang.pick("Hạ tầng mạng", "Network infrastructure"),
        SystemKind::Other => lang.pick("Khác", "Other"),
    }
}

/// Names of an information class.
pub fn information_class(lang: Lang, class: InformationClass) -> &'static str {
    match class {
        InformationClass::Public => lang.pick("Thông tin công cộng", "Public"),
        InformationClass::Private => lang.pick("Thông tin riêng", "Private"),
        InformationClass::Personal => lang.pick("Thông tin cá nhân", "Personal"),
        InformationClass::StateSecret => lang.pick("Bí mật nhà nước", "State secret"),
    }
}

/// Names of an asset kind.
pub fn asset_kind(lang: Lang, kind: AssetKind) -> &'static str {
    match kind {
        AssetKind::Ip => lang.pick("Địa chỉ IP", "IP address"),
        AssetKind::Cidr => lang.pick("Dải mạng (CIDR)", "Network (CIDR)"),
        AssetKind::Domain => lang.pick("Tên miền", "Domain"),
        AssetKind::Url => lang.pick("URL", "URL"),
    }
}

/// Names of a role.
pub fn role(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Admin => lang.pick("Quản trị viên", "Administrator"),
        Role::Analyst => lang.pick("Chuyên viên phân tích", "Analyst"),
        Role::UnitOfficer => lang.pick("Cán bộ đơn vị", "Unit officer"),
        Role::Viewer => lang.pick("Người xem", "Viewer"),
    }
}

/// Names of a severity (Sigma level).
pub fn severity(lang: Lang, severity: Severity) -> &'static str {
    match lang {
        Lang::Vi => severity.label_vi(),
        Lang::En => match severity {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        },
    }
}

/// Names of an alert's triage state.
pub fn alert_status(lang: Lang, status: AlertStatus) -> &'static str {
    match lang {
        Lang::Vi => status.label_vi(),
        Lang::En => match status {
            AlertStatus::New => "New",
            AlertStatus::Acknowledged => "Acknowledged",
            AlertStatus::FalsePositive => "False positive",
            AlertStatus::Resolved => "Resolved",
        },
    }
}

/// Names of the detector that raised an alert.
pub fn alert_source(lang: Lang, source: AlertSource) -> &'static str {
    match source {
        AlertSource::Sigma => lang.pick("Luật Sigma", "Sigma rule"),
        AlertSource::Correlation => lang.pick("Luật tương quan", "Correlation rule"),
        AlertSource::Indicator => lang.pick("Chỉ báo (IOC)", "Indicator (IOC)"),
        AlertSource::Monitor => lang.pick("Giám sát dịch vụ", "Service monitor"),
        AlertSource::Flow => lang.pick("Luồng mạng (NetFlow/sFlow)", "Network flows"),
        AlertSource::Finding => lang.pick("Phát hiện khi rà soát", "Finding"),
    }
}

/// Names of a monitor kind.
pub fn monitor_kind(lang: Lang, kind: MonitorKind) -> &'static str {
    match lang {
        Lang::Vi => kind.label_vi(),
        Lang::En => match kind {
            MonitorKind::Http => "HTTP(S)",
            MonitorKind::Tcp => "TCP port",
            MonitorKind::Dns => "DNS record",
            MonitorKind::Tls => "TLS certificate",
            MonitorKind::Smtp => "SMTP server",
            MonitorKind::Imap => "IMAP server",
            MonitorKind::Icmp => "Ping (ICMP)",
        },
    }
}

/// Names of a monitor's status.
pub fn monitor_status(lang: Lang, status: MonitorStatus) -> &'static str {
    match lang {
        Lang::Vi => status.label_vi(),
        Lang::En => match status {
            MonitorStatus::Pending => "Not checked yet",
            MonitorStatus::Up => "Up",
            MonitorStatus::Down => "Down",
            MonitorStatus::Flapping => "Flapping",
            MonitorStatus::Maintenance => "Maintenance",
            MonitorStatus::Paused => "Paused",
        },
    }
}

/// Names of an indicator kind.
pub fn indicator_kind(lang: Lang, kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Ip => lang.pick("Địa chỉ IP", "IP address"),
        IndicatorKind::Cidr => lang.pick("Dải mạng (CIDR)", "Network (CIDR)"),
        IndicatorKind::Domain => lang.pick("Tên miền", "Domain"),
        IndicatorKind::Url => lang.pick("URL", "URL"),
        IndicatorKind::Md5 => lang.pick("Mã băm MD5", "MD5 hash"),
        IndicatorKind::Sha1 => lang.pick("Mã băm SHA-1", "SHA-1 hash"),
        IndicatorKind::Sha256 => lang.pick("Mã băm SHA-256", "SHA-256 hash"),
        IndicatorKind::Email => lang.pick("Thư điện tử", "Email address"),
    }
}

/// Translates the common messages of [`canhgac_model::FieldError`] (written in English by the
/// model) into Vietnamese; unknown messages pass through unchanged.
pub fn field_message(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_string();
    }
    const KNOWN: &[(&str, &str)] = &[
        ("is required", "là bắt buộc"),
        (
            "must have at least 12 characters",
            "phải có ít nhất 12 ký tự",
        ),
        (
            "must mix letters with digits, capitals or symbols",
            "phải kết hợp chữ với số, chữ hoa hoặc ký hiệu",
        ),
        (
            "a unit officer needs at least one unit",
            "cán bộ đơn vị cần được gán ít nhất một đơn vị",
        ),
    ];
    KNOWN
        .iter()
        .find(|(en, _)| *en == message)
        .map_or_else(|| message.to_string(), |(_, vi)| (*vi).to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_texts() {
        for msg in Msg::ALL {
            let (vi, en) = msg.texts();
            assert!(!vi.is_empty() && !en.is_empty(), "{msg:?}");
        }
        assert_eq!(Lang::Vi.t(Msg::Units), "Đơn vị");
        assert_eq!(Lang::En.t(Msg::Units), "Units");
    }

    #[test]
    fn labels_are_vietnamese_first() {
        assert_eq!(unit_kind(Lang::Vi, UnitKind::Department), "Sở/ban/ngành");
        assert_eq!(
            unit_kind(Lang::Vi, UnitKind::District),
            "Huyện (trước 2025)"
        );
        assert_eq!(
            system_kind(Lang::Vi, SystemKind::Portal),
            "Cổng thông tin điện tử"
        );
        assert_eq!(
            system_kind(Lang::En, SystemKind::Network),
            "Network infrastructure"
        );
        assert_eq!(field_message(Lang::Vi, "is required"), "là bắt buộc");
        assert_eq!(field_message(Lang::En, "is required"), "is required");
    }
}
