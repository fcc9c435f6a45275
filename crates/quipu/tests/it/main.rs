//! Quipu's behavioural suite: one test binary, every story run on SQLite and
//! (when `QUIPU_TEST_POSTGRES_URL` is set) PostgreSQL, each ending with the
//! ledger invariant check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

mod authorization;
mod bad_input;
mod bench_http;
mod browser;
mod cards;
mod cli;
mod commissions;
mod concurrency;
mod contract;
mod durability;
mod forms;
mod found_in_use;
mod harness;
mod http_policy;
mod ledger_model;
mod market_api;
mod market_csv;
mod market_images;
mod market_orders;
mod market_search;
mod market_sellers;
mod merchant_events;
mod merchant_qr;
mod operator_home;
mod payment_search;
mod payments;
mod qr_cli;
mod receipts;
mod reconcile;
mod security;
mod self_service;
mod settlement;
mod signup;
mod staff_day;
mod statements;
mod steps;
mod storage;
mod support;
mod tls;
mod wallet_flows;
mod web;
mod web_a11y;
mod web_a11y_forms;
mod web_agent;
mod web_confirm;
mod web_journeys;
mod web_operator;
mod web_owner;
mod web_payouts;
mod web_staff_zone;
mod web_till;
mod web_time;
mod web_words;
