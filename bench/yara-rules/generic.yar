// canhgac benchmark rules: a few generic patterns of the kinds public rule sets use (plain
// strings, a hex string with jumps, regular expressions), written for canhgac.

rule generic_pe_in_base64 : dropper
{
    meta:
        description = "Tệp chứa tệp thực thi Windows mã hóa base64"
        severity = "medium"
    strings:
        $mz_b64 = "TVqQAAMAAAAEAAAA" ascii wide
    condition:
        $mz_b64
}

rule generic_powershell_encoded : dropper
{
    meta:
        description = "Lệnh PowerShell với tham số mã hóa (-enc) dài"
        severity = "medium"
    strings:
        $enc = /powershell(\.exe)?\s+[^\r\n]{0,40}-e(nc|ncodedcommand)?\s+[A-Za-z0-9+\/=]{40,}/ nocase
    condition:
        $enc
}

rule generic_executable_from_ip_url : downloader
{
    meta:
        description = "Đường dẫn tải tệp thực thi từ địa chỉ IP"
        severity = "medium"
    strings:
        $url = /https?:\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(:[0-9]{1,5})?\/[^\s"']{0,80}\.(exe|dll|ps1|sh)\b/ nocase
    condition:
        $url
}

rule generic_marker_with_jumps : test
{
    meta:
        description = "Dấu hiệu thử nghiệm của bộ benchmark (chuỗi hex có bước nhảy)"
        severity = "low"
    strings:
        $hex = { 43 47 48 ?? 42 45 4E 43 48 [2-8] 4D 41 52 4B }
    condition:
        $hex
}
