//! TCP and ICMP checks.

use canhgac_model::MonitorKind;
use canhgac_watch::CheckOptions;
use tokio::net::TcpListener;

use crate::support::{check, input};

#[tokio::test]
async fn an_open_port_passes_and_a_closed_port_fails() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let options = CheckOptions::default();

    let open = input(MonitorKind::Tcp, &format!("127.0.0.1:{port}"));
    let outcome = check(&open, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert!(
        outcome
            .result
            .message
            .starts_with(&format!("Cổng {port} mở, kết nối trong ")),
        "{}",
        outcome.result.message
    );
    assert_eq!(outcome.result.details["ip"], "127.0.0.1");

    drop(listener);
    let outcome = check(&open, &options).await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        format!("Không kết nối được tới 127.0.0.1:{port}: kết nối bị từ chối (cổng đóng)")
    );
    assert_eq!(outcome.result.latency_ms, None);

    // A port that must stay closed.
    let mut closed = open.clone();
    closed.settings.conditions = vec!["[CONNECTED] == false".into()];
    let outcome = check(&closed, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);

    let outcome = check(&input(MonitorKind::Tcp, "127.0.0.1"), &options).await;
    assert!(outcome
        .result
        .message
        .starts_with("Địa chỉ sai: «127.0.0.1» cần có cổng"));
    let outcome = check(
        &input(MonitorKind::Tcp, "no-such-host.invalid:80"),
        &options,
    )
    .await;
    assert!(
        outcome
            .result
            .message
            .starts_with("Không phân giải được tên máy no-such-host.invalid"),
        "{}",
        outcome.result.message
    );
}

#[tokio::test]
async fn ping_answers_or_explains_the_missing_permission() {
    let outcome = check(
        &input(MonitorKind::Icmp, "127.0.0.1"),
        &CheckOptions::default(),
    )
    .await;
    if outcome.result.ok {
        assert!(outcome
            .result
            .message
            .starts_with("Ping 127.0.0.1: phản hồi trong "));
        assert!(outcome.result.latency_ms.is_some());
    } else {
        assert!(
            outcome.result.message.contains("CAP_NET_RAW")
                && outcome.result.message.contains("net.ipv4.ping_group_range"),
            "{}",
            outcome.result.message
        );
    }
}
