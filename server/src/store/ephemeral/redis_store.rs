use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, IntoConnectionInfo, Script};

use crate::store::StoreError;

/// Redis-backed ephemeral store. `ConnectionManager` is one multiplexed,
/// auto-reconnecting connection; cloning it is cheap.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    /// For subscriptions, which need a connection of their own.
    client: redis::Client,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A counter is `count:start`, `start` being the second (of Tessera's
/// injected clock, ARGV[1]) its window began; ARGV[2] is the window in
/// seconds. A window that is over starts again at 1. Redis's own expiry
/// only collects counters nobody touches any more.
const INCR_WITH_WINDOW: &str = r"
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local count, start = 0, now
local value = redis.call('GET', KEYS[1])
if value then
  local c, s = string.match(value, '^(%d+):(%-?%d+)$')
  if c and now - tonumber(s) < window then count, start = tonumber(c), tonumber(s) end
end
count = count + 1
redis.call('SET', KEYS[1], count .. ':' .. start, 'PX', math.max(1, start + window - now) * 1000)
return count
";

/// The count of a counter whose window is not over, else 0.
const COUNT: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local c, s = string.match(value, '^(%d+):(%-?%d+)$')
if not c or tonumber(ARGV[1]) - tonumber(s) >= tonumber(ARGV[2]) then return 0 end
return tonumber(c)
";

/// Take one off a counter that exists and is positive, keeping its window.
const DECR_EXISTING: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local c, s = string.match(value, '^(%d+):(%-?%d+)$')
if c and tonumber(c) > 0 then
  redis.call('SET', KEYS[1], (tonumber(c) - 1) .. ':' .. s, 'KEEPTTL')
end
return 0
";

/// `value` as a literal in a SCAN MATCH pattern.
fn glob_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// A store that connects on first use and reconnects after a failure.
    /// Each command fails within a few seconds when Redis cannot be reached
    /// (callers that can, fall back to the database).
    pub fn new(url: &str, prefix: &str) -> Result<Self, StoreError> {
        // Without TCP_NODELAY, pipelined commands on the shared connection
        // wait on the server's delayed ACKs (40 ms).
        let info = url
            .into_connection_info()?
            .set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true));
        let client = redis::Client::open(info)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            conn,
            client,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    pub async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: () = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        Ok(conn.get(self.key(key)).await?)
    }

    pub async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        Ok(redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async(&mut conn)
            .await?)
    }

    pub async fn replace_existing(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        Ok(redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("XX")
            .arg("GET")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut conn)
            .await?)
    }

    pub async fn incr(&self, key: &str, window: Duration, now: i64) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        Ok(Script::new(INCR_WITH_WINDOW)
            .key(self.key(key))
            .arg(now)
            .arg(window.as_secs().max(1))
            .invoke_async(&mut conn)
            .await?)
    }

    pub async fn count(&self, key: &str, window: Duration, now: i64) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        Ok(Script::new(COUNT)
            .key(self.key(key))
            .arg(now)
            .arg(window.as_secs().max(1))
            .invoke_async(&mut conn)
            .await?)
    }

    /// Keys under this store's prefix, counted with SCAN (never KEYS).
    pub async fn key_count(&self) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}*", glob_escape(&self.prefix));
        let mut cursor: u64 = 0;
        let mut count = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            count += keys.len() as u64;
            if next == 0 {
                return Ok(count);
            }
            cursor = next;
        }
    }

    pub async fn decr_existing(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: i64 = Script::new(DECR_EXISTING)
            .key(self.key(key))
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Set each key (empty value) with its own expiry, in one round trip.
    pub async fn put_marks(&self, entries: &[(String, Duration)]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        for (key, ttl) in entries {
            pipe.cmd("SET")
                .arg(self.key(key))
                .arg("")
                .arg("PX")
                .arg(millis(*ttl))
                .ignore();
        }
        let _: () = pipe.query_async(&mut conn).await?;
        Ok(())
    }

    /// Does any of `keys` exist, and does `also` exist? One round trip.
    pub async fn any_exists_and(
        &self,
        keys: &[String],
        also: &str,
    ) -> Result<(bool, bool), StoreError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        let exists = pipe.cmd("EXISTS");
        for key in keys {
            exists.arg(self.key(key));
        }
        pipe.cmd("EXISTS").arg(self.key(also));
        let (found, present): (u64, u64) = pipe.query_async(&mut conn).await?;
        Ok((found > 0, present > 0))
    }

    pub async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let found: u64 = redis::cmd("EXISTS")
            .arg(self.key(key))
            .query_async(&mut conn)
            .await?;
        Ok(found > 0)
    }

    /// Set `key` (empty value) for `ttl`.
    pub async fn set(&self, key: &str, ttl: Duration) -> Result<(), StoreError> {
        self.put(key, "", ttl).await
    }

    /// Give `key` a new expiry if it still exists; `false` if it does not.
    pub async fn renew(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let renewed: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg("")
            .arg("XX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut conn)
            .await?;
        Ok(renewed.is_some())
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: () = conn.del(self.key(key)).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    /// Publish `message` on `channel` (under the key prefix).
    pub async fn publish(&self, channel: &str, message: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: i64 = conn.publish(self.key(channel), message).await?;
        Ok(())
    }

    /// The messages published on `channel` from now on, on a connection of
    /// their own; the stream ends when that connection is lost.
    pub async fn subscribe(&self, channel: &str) -> Result<redis::aio::PubSubStream, StoreError> {
        let connect = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(self.key(channel)).await?;
            Ok::<_, redis::RedisError>(pubsub.into_on_message())
        };
        match tokio::time::timeout(Duration::from_secs(2), connect).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(StoreError::Unavailable(
                "redis: subscribing timed out".into(),
            )),
        }
    }
}
