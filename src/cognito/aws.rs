//! Connecting to Cognito: the standard AWS configuration chain, plus the tool's own choices
//! (no SDK retries, bounded timeouts) and a setup check before the first write.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::Region;
use aws_sdk_cognitoidentityprovider::types::UserPoolType;

use crate::cognito::pacing::{RateControl, RetryPolicy, retrying};
use crate::cognito::{ErrorKind, Pool, codes};

/// DescribeUserPool calls a second while retrying it (its quota is shared with the pool's
/// other reads).
const DESCRIBE_PER_SECOND: f64 = 5.0;
/// Retries of DescribeUserPool after a timeout or a 5xx before the run is refused.
const DESCRIBE_RETRIES: u32 = 4;
/// Throttled DescribeUserPool calls retried before the run is refused (about three minutes
/// at most): unlike a row or a read of a run, the setup check gives up on a pool that stays
/// too busy to describe.
const DESCRIBE_THROTTLES: u32 = 100;

/// Where and as whom to connect. Anything unset comes from the usual AWS sources
/// (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL[_COGNITO_IDENTITY_PROVIDER], ~/.aws/config, ...).
#[derive(Debug, Clone)]
pub struct Connection {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// Longest wait for one call's answer before it counts as a transient failure.
    pub call_timeout: Duration,
}

/// Why the run cannot start. Nothing has been written when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no AWS region is set: pass --region or set AWS_REGION")]
    NoRegion,
    #[error("no usable AWS credentials: {0}")]
    Credentials(String),
    #[error("user pool {pool}: {code}: {message}")]
    Pool {
        pool: String,
        code: String,
        message: String,
    },
}

/// Builds a Cognito client. SDK retries are off: the tool retries itself, so that its pacer
/// sees every throttle and the SDK's shared retry-quota bucket cannot run dry mid-run.
pub async fn client(conn: &Connection) -> Result<(Client, aws_config::SdkConfig), SetupError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &conn.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &conn.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &conn.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(SetupError::NoRegion);
    }
    let config = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(conn.call_timeout)
                .build(),
        )
        .build();
    Ok((Client::from_conf(config), sdk))
}

/// Checks, before any write, that credentials resolve and that the pool exists and is
/// readable. A DescribeUserPool denied by IAM is not fatal here (a role may be allowed to
/// update users but not to describe the pool); the first write will tell.
/// What the setup check learned.
#[derive(Debug, Default)]
pub struct Setup {
    /// The pool, as DescribeUserPool gave it (None if that call was not allowed).
    pub pool: Option<UserPoolType>,
    /// Something the user should know, though not a reason to stop.
    pub warning: Option<String>,
}

pub async fn check_setup<P: Pool>(
    pool: &P,
    sdk: &aws_config::SdkConfig,
    pool_id: &str,
) -> Result<Setup, SetupError> {
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| SetupError::Credentials("no credentials provider is configured".into()))?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| SetupError::Credentials(crate::cognito::sdk::chain(&e)))?;
    // A passing fault (a timeout, a 5xx, a throttle) is retried, a few times: going on
    // without the schema check would let rows through that the pool would refuse or misread.
    let rate = RateControl::new(DESCRIBE_PER_SECOND);
    let policy = RetryPolicy {
        max_transient_retries: DESCRIBE_RETRIES,
        max_throttles: Some(DESCRIBE_THROTTLES),
        ..RetryPolicy::default()
    };
    // No stop signal reaches the setup check (commands watch for one after it): its
    // throttles are bounded instead.
    let never = tokio_util::sync::CancellationToken::new();
    let described = retrying(&rate, &policy, &never, || pool.describe()).await;
    match described {
        Ok(described) => Ok(Setup {
            pool: Some(described),
            warning: None,
        }),
        // Only a denial may skip the check (a role may be allowed to update users but not to
        // describe the pool), and the user is told.
        Err(err) if codes::ACCESS_DENIED.contains(&err.code.as_str()) => Ok(Setup {
            pool: None,
            warning: Some(format!(
                "cannot describe user pool {pool_id} ({}): going on WITHOUT the schema check; the first write will tell whether updates are allowed",
                err.code
            )),
        }),
        Err(err) => Err(SetupError::Pool {
            pool: pool_id.to_string(),
            code: err.code,
            message: match err.kind {
                ErrorKind::Throttled | ErrorKind::Transient => format!(
                    "{} (DescribeUserPool still failing after {DESCRIBE_RETRIES} retries; the schema check needs it: try again later)",
                    err.message
                ),
                ErrorKind::Fatal | ErrorKind::Row => err.message,
            },
        }),
    }
}
