//! `impl Store for SqliteStore`: authorities, licences, history, imports and rollout.

use edl_domain::{CitizenId, FileNumber, IssuingAuthority, Licence, RolloutEntry, RolloutSchedule};
use edl_store::backend::{
    LicenceRow, count_deltas, fold_region_counts, moved_count, region_from_column,
    region_to_column, rollout_entry_from_columns,
};
use edl_store::{
    AuthorityId, AuthorityRecord, BatchOutcome, ChangeKind, HistoryEntry, ImportRecord, ImportRun,
    ImportSourceId, NewHistoryEntry, RegionCount, Store, StoreError, StoredLicence,
};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::SqliteStore;
use crate::codec::{
    LICENCE_COLUMNS, date_from_text, date_to_text, get, instant_from_text, instant_to_text,
    licence_from_row,
};
use crate::error::map_err;
use crate::import::{add_counts, check_authorities};

/// Starts a write transaction holding the write lock from its first statement.
///
/// A deferred `BEGIN` that reads before it writes can fail with `SQLITE_BUSY` when another writer commits in
/// between, and the busy timeout does not help there; `BEGIN IMMEDIATE` waits for the lock instead.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn ensure_authority(
        &self,
        authority: &IssuingAuthority,
    ) -> Result<AuthorityId, StoreError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
        let id = ensure_authority_in(&mut tx, authority).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    async fn list_authorities(&self) -> Result<Vec<AuthorityRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, name, region FROM authorities ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(AuthorityRecord {
                    id: AuthorityId(get(row, 0, "authorities.id")?),
                    authority: IssuingAuthority {
                        name: edl_domain::AuthorityName::parse(get(row, 1, "authorities.name")?)
                            .map_err(|e| StoreError::corrupt("authorities.name", e))?,
                        region: region_from_column(
                            get(row, 2, "authorities.region")?,
                            "authorities.region",
                        )?,
                    },
                })
            })
            .collect()
    }

    async fn begin_import(
        &self,
        file_sha256: [u8; 32],
        at: OffsetDateTime,
    ) -> Result<ImportSourceId, StoreError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
        sqlx::query(
            "INSERT INTO imports (file_sha256, started_at) VALUES (?, ?) \
             ON CONFLICT (file_sha256) DO NOTHING",
        )
        .bind(&file_sha256[..])
        .bind(instant_to_text(at)?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM imports WHERE file_sha256 = ?")
            .bind(&file_sha256[..])
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(ImportSourceId(id))
    }

    async fn import_batch(
        &self,
        source: ImportSourceId,
        records: &[ImportRecord<'_>],
    ) -> Result<BatchOutcome, StoreError> {
        crate::import::import_batch(&self.pool, source, records).await
    }

    async fn finish_import(
        &self,
        source: ImportSourceId,
        at: OffsetDateTime,
        inserted: u64,
        unchanged: u64,
        rejected: u64,
    ) -> Result<(), StoreError> {
        let count = |n: u64| {
            i64::try_from(n).map_err(|_| {
                StoreError::Other("an import total exceeds SQLite's integer range".into())
            })
        };
        let res = sqlx::query(
            "UPDATE imports SET finished_at = ?, inserted = ?, unchanged = ?, rejected = ? WHERE id = ?",
        )
        .bind(instant_to_text(at)?)
        .bind(count(inserted)?)
        .bind(count(unchanged)?)
        .bind(count(rejected)?)
        .bind(source.0)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "import" });
        }
        Ok(())
    }

    async fn imports(&self) -> Result<Vec<ImportRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, file_sha256, started_at, finished_at, inserted, unchanged, rejected \
             FROM imports ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let count = |idx: usize, column: &'static str| -> Result<u64, StoreError> {
                    u64::try_from(get::<i64>(row, idx, column)?).map_err(|_| StoreError::Corrupt {
                        what: column,
                        source: None,
                    })
                };
                Ok(ImportRun {
                    id: ImportSourceId(get(row, 0, "imports.id")?),
                    file_sha256: get::<&[u8]>(row, 1, "imports.file_sha256")?
                        .try_into()
                        .map_err(|_| StoreError::Corrupt {
                            what: "imports.file_sha256",
                            source: None,
                        })?,
                    started_at: instant_from_text(
                        get(row, 2, "imports.started_at")?,
                        "imports.started_at",
                    )?,
                    finished_at: get::<Option<&str>>(row, 3, "imports.finished_at")?
                        .map(|text| instant_from_text(text, "imports.finished_at"))
                        .transpose()?,
                    inserted: count(4, "imports.inserted")?,
                    unchanged: count(5, "imports.unchanged")?,
                    rejected: count(6, "imports.rejected")?,
                })
            })
            .collect()
    }

    async fn insert_licence(
        &self,
        licence: &Licence,
        authority_id: AuthorityId,
    ) -> Result<(), StoreError> {
        let row = LicenceRow::from_licence(licence);
        let sql = format!(
            "INSERT INTO licences ({}) VALUES ({})",
            crate::import::INSERT_COLUMNS.join(", "),
            vec!["?"; crate::import::INSERT_COLUMNS.len()].join(", ")
        );
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
        // The same rule as for an import: the id must name the licence's own authority.
        check_authorities(&mut tx, &[(authority_id, licence.authority())]).await?;
        let query = crate::import::bind_licence(sqlx::query(&sql), row, authority_id, None);
        query.execute(&mut *tx).await.map_err(map_err)?;
        add_counts(&mut tx, &count_deltas([licence])).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn licence(&self, file_number: &FileNumber) -> Result<Option<StoredLicence>, StoreError> {
        let sql = format!(
            "SELECT {LICENCE_COLUMNS} FROM licences l JOIN authorities a ON a.id = l.authority_id \
             WHERE l.file_number = ?"
        );
        let row = sqlx::query(&sql)
            .bind(file_number.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(licence_from_row).transpose()
    }

    async fn licences_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> Result<Vec<StoredLicence>, StoreError> {
        let sql = format!(
            "SELECT {LICENCE_COLUMNS} FROM licences l JOIN authorities a ON a.id = l.authority_id \
             WHERE l.citizen_id = ? ORDER BY l.file_number"
        );
        let rows = sqlx::query(&sql)
            .bind(citizen_id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(licence_from_row).collect()
    }

    async fn update_licence(
        &self,
        expected_version: i64,
        licence: &Licence,
        entry: NewHistoryEntry,
    ) -> Result<i64, StoreError> {
        let row = LicenceRow::from_licence(licence);
        let at = instant_to_text(entry.at)?;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
        let authority_id = ensure_authority_in(&mut tx, licence.authority()).await?;
        // The write lock is held from BEGIN IMMEDIATE, so the row read here is the row the UPDATE changes.
        let before = sqlx::query(
            "SELECT region, status FROM licences WHERE file_number = ? AND version = ?",
        )
        .bind(&row.file_number)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(before) = before else {
            // Nothing was written; dropping `tx` rolls back the authority insert, if any.
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM licences WHERE file_number = ?")
                    .bind(&row.file_number)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            return Err(match exists {
                Some(_) => StoreError::StaleVersion,
                None => StoreError::NotFound { what: "licence" },
            });
        };
        sqlx::query(
            "UPDATE licences SET region = ?, citizen_id = ?, name = ?, sex = ?, nationality = ?, \
             birth_date = ?, address = ?, first_issue = ?, classes = ?, valid_from = ?, valid_until = ?, \
             authority_id = ?, status = ?, points = ?, points_cycle_start = ?, phone = ?, edition = ?, \
             version = version + 1 \
             WHERE file_number = ? AND version = ?",
        )
        .bind(row.region)
        .bind(&row.citizen_id)
        .bind(&row.name)
        .bind(row.sex)
        .bind(&row.nationality)
        .bind(date_to_text(row.birth_date))
        .bind(&row.address)
        .bind(date_to_text(row.first_issue))
        .bind(&row.classes)
        .bind(date_to_text(row.valid_from))
        .bind(row.valid_until.map(date_to_text))
        .bind(authority_id.0)
        .bind(&row.status)
        .bind(row.points)
        .bind(date_to_text(row.points_cycle_start))
        .bind(&row.phone)
        .bind(row.edition)
        .bind(&row.file_number)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let before_region: i64 = get(&before, 0, "licences.region")?;
        let before_status: String = get(&before, 1, "licences.status")?;
        add_counts(
            &mut tx,
            &moved_count((before_region, &before_status), (row.region, &row.status)),
        )
        .await?;
        sqlx::query(
            "INSERT INTO licence_history (file_number, region, at, actor, reason, kind, before, after) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.file_number)
        .bind(row.region)
        .bind(at)
        .bind(&entry.actor)
        .bind(&entry.reason)
        .bind(entry.kind.as_str())
        .bind(&entry.before)
        .bind(&entry.after)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(expected_version + 1)
    }

    async fn history(&self, file_number: &FileNumber) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, reason, kind, before, after FROM licence_history \
             WHERE file_number = ? ORDER BY id",
        )
        .bind(file_number.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(HistoryEntry {
                    id: get(row, 0, "licence_history.id")?,
                    file_number: file_number.clone(),
                    at: instant_from_text(
                        get(row, 1, "licence_history.at")?,
                        "licence_history.at",
                    )?,
                    actor: get(row, 2, "licence_history.actor")?,
                    reason: get(row, 3, "licence_history.reason")?,
                    kind: ChangeKind::parse(get(row, 4, "licence_history.kind")?).ok_or(
                        StoreError::Corrupt {
                            what: "licence_history.kind",
                            source: None,
                        },
                    )?,
                    before: get(row, 5, "licence_history.before")?,
                    after: get(row, 6, "licence_history.after")?,
                })
            })
            .collect()
    }

    async fn count_licences(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM licences")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        u64::try_from(count).map_err(|_| StoreError::Corrupt {
            what: "licences",
            source: None,
        })
    }

    async fn set_rollout(&self, entry: &RolloutEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO rollout (region, enabled_from, phase) VALUES (?, ?, ?) \
             ON CONFLICT (region) DO UPDATE SET enabled_from = excluded.enabled_from, phase = excluded.phase",
        )
        .bind(region_to_column(entry.region))
        .bind(date_to_text(entry.enabled_from))
        .bind(&entry.phase)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn rollout(&self) -> Result<RolloutSchedule, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        rollout_in(&mut conn).await
    }

    async fn region_counts(&self) -> Result<Vec<RegionCount>, StoreError> {
        // One read transaction, so counts and schedule come from the same snapshot.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let schedule = rollout_in(&mut tx).await?;
        // The summary the store keeps beside licences; rows a pair's licences all moved away from hold 0.
        let rows = sqlx::query(
            "SELECT region, status, licences FROM region_status_counts WHERE licences <> 0",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        let groups = rows
            .iter()
            .map(|row| {
                Ok((
                    get::<i64>(row, 0, "region_status_counts.region")?,
                    get::<String>(row, 1, "region_status_counts.status")?,
                    get::<i64>(row, 2, "region_status_counts.licences")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        fold_region_counts(groups, &schedule)
    }
}

/// `ensure_authority` inside a write transaction.
async fn ensure_authority_in(
    conn: &mut SqliteConnection,
    authority: &IssuingAuthority,
) -> Result<AuthorityId, StoreError> {
    let region = region_to_column(authority.region);
    sqlx::query(
        "INSERT INTO authorities (name, region) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(authority.name.as_str())
    .bind(region)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    let row = sqlx::query("SELECT id, region FROM authorities WHERE name = ?")
        .bind(authority.name.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(map_err)?;
    if get::<i64>(&row, 1, "authorities.region")? != region {
        return Err(StoreError::Conflict {
            constraint: "authority_region",
        });
    }
    Ok(AuthorityId(get(&row, 0, "authorities.id")?))
}

/// The rollout schedule, read on `conn`.
async fn rollout_in(conn: &mut SqliteConnection) -> Result<RolloutSchedule, StoreError> {
    let rows = sqlx::query("SELECT region, enabled_from, phase FROM rollout ORDER BY region")
        .fetch_all(&mut *conn)
        .await
        .map_err(map_err)?;
    let entries = rows
        .iter()
        .map(|row| {
            rollout_entry_from_columns(
                get(row, 0, "rollout.region")?,
                date_from_text(get(row, 1, "rollout.enabled_from")?, "rollout.enabled_from")?,
                get(row, 2, "rollout.phase")?,
            )
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(RolloutSchedule(entries))
}
