//! The real pool: the AWS SDK client, built from the standard configuration chain and checked
//! (credentials resolve, DescribeUserPool answers or is denied) before any write. The only
//! place the command layer names the SDK pool.

use std::time::Duration;

use super::context::{Connect, Opened};
use super::outcome::{Failure, setup};
use crate::cli::Global;
use crate::cognito::aws::{self, Connection};
use crate::cognito::sdk::SdkPool;

/// Opens pools through the AWS SDK, with the command line's region, profile and endpoint.
pub struct Sdk {
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
}

impl Sdk {
    pub fn new(global: &Global) -> Sdk {
        Sdk {
            region: global.region.clone(),
            profile: global.profile.clone(),
            endpoint_url: global.endpoint_url.clone(),
        }
    }
}

impl Connect for Sdk {
    type Pool = SdkPool;

    async fn open(
        &self,
        pool_id: &str,
        call_timeout: Duration,
    ) -> Result<Opened<SdkPool>, Failure> {
        let connection = Connection {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            call_timeout,
        };
        let (client, sdk) = aws::client(&connection).await.map_err(setup)?;
        let pool = SdkPool::new(client, pool_id.to_string());
        let checked = aws::check_setup(&pool, &sdk, pool_id)
            .await
            .map_err(setup)?;
        Ok(Opened {
            pool,
            described: checked.pool,
            warning: checked.warning,
        })
    }
}
