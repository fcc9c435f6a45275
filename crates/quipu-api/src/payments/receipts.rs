//! Receipts and day summaries of merchant payments.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_core::CoreError;
use quipu_core::kernel::text::parse_rfc3339;
use quipu_domain::payment::PaymentId;
use quipu_domain::zone::Zone;
use quipu_http::extract::{ApiPath, ApiQuery, Caller};
use quipu_http::problem::Problem;

use super::requests::*;
use super::views::*;
use crate::AppState;
use crate::common::ApiResult;

/// A payment's receipt, for its customer or its merchant.
#[utoipa::path(get, path = "/api/v1/payments/{id}/receipt", tag = "payments", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = PaymentReceiptView), (status = 404, body = Problem)))]
pub async fn receipt(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<PaymentReceiptView>> {
    Ok(axum::Json(PaymentReceiptView::from(&state.services.payments.payment_receipt(&caller, PaymentId(id)).await?)))
}

/// The same receipt as a printable HTML page (a till's receipt printer, or the customer's browser).
#[utoipa::path(get, path = "/api/v1/payments/{id}/receipt.html", tag = "payments", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, content_type = "text/html"), (status = 404, body = Problem)))]
pub async fn receipt_html(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<Response> {
    let receipt = state.services.payments.payment_receipt(&caller, PaymentId(id)).await?;
    // Printed in the shop's time, as its till and its day read it.
    let zone = state.services.kernel.merchant_zone(receipt.payment.record.merchant_id).await?;
    let mut response = (StatusCode::OK, receipt_page(&PaymentReceiptView::from(&receipt), &zone)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // The page loads nothing and runs nothing: names and references are the merchant's own text.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    Ok(response)
}

/// The merchant's day (`date`), or days (`date` to `to`, both included, at most 92): count, gross,
/// fees, refunds and net per currency.
#[utoipa::path(get, path = "/api/v1/merchant/summary", tag = "merchant", security(("bearer" = [])), params(SummaryParams),
    responses((status = 200, body = MerchantSummaryView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn summary(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<SummaryParams>,
) -> ApiResult<axum::Json<MerchantSummaryView>> {
    if params.date.is_none() && params.to.is_some() {
        // Each parameter is well formed; `to` alone names no range (422, not malformed).
        let detail = "to needs a date: the first day";
        return Err(CoreError::new(quipu_core::ErrorKind::Rejected, "invalid_date_range", detail).into());
    }
    let payments = &state.services.payments;
    let (first, last) = (params.date.as_deref(), params.to.as_deref());
    let summary = payments.merchant_summary(&caller, first, last, params.utc_offset_minutes).await?;
    Ok(axum::Json(MerchantSummaryView::from(&summary)))
}

/// The shop's day per person (`date`, the shop's today by default): what each cashier and API key
/// took, by way of paying, and gave back. A cashier sees their own; the owner and keys everyone's.
#[utoipa::path(get, path = "/api/v1/merchant/staff-summary", tag = "merchant", security(("bearer" = [])),
    params(StaffDayParams),
    responses((status = 200, body = StaffDayView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn staff_summary(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<StaffDayParams>,
) -> ApiResult<axum::Json<StaffDayView>> {
    let day = state.services.payments.staff_day(&caller, params.date.as_deref()).await?;
    Ok(axum::Json(StaffDayView::from(&day)))
}

/// A time (RFC 3339) on the shop's clock, "2026-12-07 08:30 Asia/Seoul"; text that is no time as it is.
fn shop_time(at: &str, zone: &Zone) -> String {
    match parse_rfc3339(at).and_then(|instant| zone.local(instant)) {
        Some(local) => format!("{} {:02}:{:02} {}", local.date, local.hour, local.minute, zone.name()),
        None => at.to_owned(),
    }
}

/// A narrow receipt, as a till printer or a phone shows it.
fn receipt_page(r: &PaymentReceiptView, zone: &Zone) -> String {
    let p = &r.payment;
    let mut rows = vec![
        ("Date", shop_time(&p.created_at, zone)),
        ("Receipt", p.id.to_string()),
        ("Paid with", r.paid_with.clone()),
        ("Status", p.status.replace('_', " ")),
    ];
    if let Some(till) = &p.till {
        rows.push(("Till", till.clone()));
    }
    if !p.reference.is_empty() {
        rows.push(("Reference", p.reference.clone()));
    }
    rows.push(("Amount", format!("{} {}", p.amount.amount, p.amount.currency)));
    for refund in &r.refunds {
        let at = shop_time(&refund.created_at, zone);
        rows.push(("Refund", format!("−{} {} ({at})", refund.amount.amount, refund.amount.currency)));
        if !refund.reason.is_empty() {
            rows.push(("Reason", refund.reason.clone()));
        }
    }
    rows.push(("Total", format!("{} {}", r.net.amount, r.net.currency)));
    let body: String =
        rows.iter().map(|(label, value)| format!("<tr><th>{label}</th><td>{}</td></tr>\n", escape(value))).collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Receipt {id}</title>\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n\
         <style>body{{font:14px monospace;max-width:32em;margin:1em auto}}h1{{font-size:1.2em;text-align:center}}\
         p{{text-align:center;margin:0}}table{{width:100%;margin-top:1em}}th{{text-align:left;font-weight:normal}}\
         td{{text-align:right}}@media print{{body{{margin:0}}}}</style></head>\n\
         <body><h1>{merchant}</h1><p>{city}</p>\n<table>\n{body}</table>\n<p>Printed {printed}</p></body></html>\n",
        id = p.id,
        merchant = escape(&p.merchant_name),
        city = escape(&r.merchant_city),
        printed = escape(&shop_time(&r.printed_at, zone)),
    )
}

/// Escapes text for an HTML element or quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_in_a_name_is_shown_not_run() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"co\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"
        );
    }
}
