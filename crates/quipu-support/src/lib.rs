//! Support: what operators and auditors do about a person, and what the
//! person sees of it. Staff do not browse people's money; every action they
//! take about someone is written, with its stated reason, to an access log
//! the person reads from their own account.

use std::sync::Arc;

use quipu_kernel::paging::{cursor_before, next_cursor, page_limit};
use quipu_kernel::{CoreResult, Kernel, Principal};
use quipu_store::support::{AccessEntryRecord, MAX_ACCESS_LOG_PAGE};

/// One page of a person's access log, newest first.
#[derive(Debug, Clone)]
pub struct AccessLogPage {
    pub entries: Vec<AccessEntryRecord>,
    pub next_cursor: Option<String>,
}

#[derive(Clone)]
pub struct Support {
    kernel: Arc<Kernel>,
}

impl Support {
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }

    /// What staff did about the caller: who, when, why, and what.
    pub async fn my_access_log(
        &self,
        principal: &Principal,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<AccessLogPage> {
        let me = principal.user_id().ok_or_else(quipu_kernel::CoreError::forbidden)?;
        let limit = page_limit(limit, 50, MAX_ACCESS_LOG_PAGE)?;
        let entries = self.kernel.store.access_entries(me.0, cursor_before(cursor)?, limit).await?;
        let next_cursor = next_cursor(&entries, limit, |entry| entry.at);
        Ok(AccessLogPage { entries, next_cursor })
    }
}
