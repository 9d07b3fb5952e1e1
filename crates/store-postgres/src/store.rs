//! `impl Store for PgStore`: authorities, licences, history, imports, rollout and credentials; the web-wallet
//! methods forward to `holders.rs`, the operator console's to `console.rs`.

use edl_domain::{
    AuthorityName, CitizenId, FileNumber, IssuingAuthority, Licence, RegionCode, RolloutEntry,
    RolloutSchedule, StatusSet,
};
use edl_store::backend::{
    LicenceRow, count_deltas, fold_region_counts, moved_count, region_from_column,
    rollout_entry_from_columns,
};
use edl_store::{
    Account, ApiKey, AuthorityId, AuthorityRecord, BatchOutcome, ChangeKind, CheckEvent,
    ConsoleSession, ConsoleUser, CredentialRecord, CredentialState, DailyClaims,
    DailyVerifications, HistoryEntry, ImportRecord, ImportRun, ImportSourceId, NationalDailyClaims,
    NationalDailyVerifications, NewAccount, NewApiKey, NewCheckEvent, NewConsoleSession,
    NewConsoleUser, NewCredential, NewHistoryEntry, NewOrganisation, NewSession, NewShare,
    NewVerification, Organisation, RegionCount, Session, Share, Store, StoreError, StoredLicence,
    Verification,
};
use sqlx::postgres::PgRow;
use sqlx::{Decode, PgConnection, Postgres, Row, Type};
use time::{Date, OffsetDateTime};

use crate::PgStore;
use crate::import::{add_counts, check_authorities};

/// The columns [`licence_from_row`] reads, in order, from `licences l JOIN authorities a`.
const LICENCE_SELECT: &str = "SELECT l.file_number, l.citizen_id, l.name, l.sex, l.nationality, \
     l.birth_date, l.address, l.first_issue, l.classes, l.valid_from, l.valid_until, a.name, l.region, \
     l.status, l.points, l.points_cycle_start, l.phone, l.edition, l.version \
     FROM licences l JOIN authorities a ON a.id = l.authority_id";

/// How often a get-or-insert retries when a concurrent writer wins the insert but is not yet visible.
const UPSERT_ATTEMPTS: usize = 3;

/// Reads column `idx` of `row`; a value that does not decode is [`StoreError::Corrupt`] naming `what`.
pub(crate) fn get<'r, T>(row: &'r PgRow, idx: usize, what: &'static str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    // The decode error may quote the value, so it is not kept.
    row.try_get(idx)
        .map_err(|_| StoreError::Corrupt { what, source: None })
}

/// A count or line number as a PostgreSQL `BIGINT`.
pub(crate) fn to_bigint(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Other(format!("{what} exceeds BIGINT").into()))
}

fn from_bigint(value: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt { what, source: None })
}

fn small(value: i64, what: &'static str) -> Result<i16, StoreError> {
    i16::try_from(value).map_err(|_| StoreError::Other(format!("{what} exceeds SMALLINT").into()))
}

fn int(value: i64, what: &'static str) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::Other(format!("{what} exceeds INTEGER").into()))
}

fn licence_from_row(row: &PgRow) -> Result<StoredLicence, StoreError> {
    let licence = LicenceRow {
        file_number: get(row, 0, "licences.file_number")?,
        citizen_id: get(row, 1, "licences.citizen_id")?,
        name: get(row, 2, "licences.name")?,
        sex: i64::from(get::<i16>(row, 3, "licences.sex")?),
        nationality: get(row, 4, "licences.nationality")?,
        birth_date: get(row, 5, "licences.birth_date")?,
        address: get(row, 6, "licences.address")?,
        first_issue: get(row, 7, "licences.first_issue")?,
        classes: get(row, 8, "licences.classes")?,
        valid_from: get(row, 9, "licences.valid_from")?,
        valid_until: get(row, 10, "licences.valid_until")?,
        authority_name: get(row, 11, "authorities.name")?,
        region: i64::from(get::<i32>(row, 12, "licences.region")?),
        status: get(row, 13, "licences.status")?,
        points: i64::from(get::<i16>(row, 14, "licences.points")?),
        points_cycle_start: get(row, 15, "licences.points_cycle_start")?,
        phone: get(row, 16, "licences.phone")?,
        edition: i64::from(get::<i32>(row, 17, "licences.edition")?),
    }
    .into_licence()?;
    Ok(StoredLicence {
        licence,
        version: get(row, 18, "licences.version")?,
    })
}

/// The `ensure_authority` logic on one connection (inside the caller's transaction, if any).
async fn ensure_authority_in(
    store: &PgStore,
    conn: &mut PgConnection,
    authority: &IssuingAuthority,
) -> Result<AuthorityId, StoreError> {
    let name = authority.name.as_str();
    let region = int(i64::from(authority.region.as_u32()), "authorities.region")?;
    for _ in 0..UPSERT_ATTEMPTS {
        // Look first: an INSERT … ON CONFLICT would use up an identity value on every call.
        let found: Option<(i64, i32)> =
            sqlx::query_as("SELECT id, region FROM authorities WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await
                .map_err(|err| store.err(err))?;
        if let Some((id, stored_region)) = found {
            if stored_region != region {
                return Err(StoreError::Conflict {
                    constraint: "authority_region",
                });
            }
            return Ok(AuthorityId(id));
        }
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO authorities (name, region) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(region)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|err| store.err(err))?;
        if let Some(id) = inserted {
            return Ok(AuthorityId(id));
        }
        // A concurrent transaction inserted the name first; the next SELECT sees it.
    }
    Err(StoreError::Other(
        "the authority could not be read back after a concurrent insert".into(),
    ))
}

/// Binds the licence columns `file_number, region, citizen_id, …, edition` in `INSERT_COLUMNS` order.
fn bind_licence<'q>(
    query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    row: LicenceRow,
    authority_id: AuthorityId,
) -> Result<sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>, StoreError> {
    Ok(query
        .bind(row.file_number)
        .bind(int(row.region, "licences.region")?)
        .bind(row.citizen_id)
        .bind(row.name)
        .bind(small(row.sex, "licences.sex")?)
        .bind(row.nationality)
        .bind(row.birth_date)
        .bind(row.address)
        .bind(row.first_issue)
        .bind(row.classes)
        .bind(row.valid_from)
        .bind(row.valid_until)
        .bind(authority_id.0)
        .bind(row.status)
        .bind(small(row.points, "licences.points")?)
        .bind(row.points_cycle_start)
        .bind(row.phone)
        .bind(int(row.edition, "licences.edition")?))
}

impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|err| self.err(err))
    }

    async fn ensure_authority(
        &self,
        authority: &IssuingAuthority,
    ) -> Result<AuthorityId, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(|err| self.err(err))?;
        ensure_authority_in(self, &mut conn, authority).await
    }

    async fn list_authorities(&self) -> Result<Vec<AuthorityRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, name, region FROM authorities ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(|err| self.err(err))?;
        rows.iter()
            .map(|row| {
                Ok(AuthorityRecord {
                    id: AuthorityId(get(row, 0, "authorities.id")?),
                    authority: IssuingAuthority {
                        name: AuthorityName::parse(get(row, 1, "authorities.name")?)
                            .map_err(|e| StoreError::corrupt("authorities.name", e))?,
                        region: region_from_column(
                            i64::from(get::<i32>(row, 2, "authorities.region")?),
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
        let mut conn = self.pool.acquire().await.map_err(|err| self.err(err))?;
        for _ in 0..UPSERT_ATTEMPTS {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM imports WHERE file_sha256 = $1")
                    .bind(&file_sha256[..])
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(|err| self.err(err))?;
            if let Some(id) = found {
                return Ok(ImportSourceId(id));
            }
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO imports (file_sha256, started_at) VALUES ($1, $2) \
                 ON CONFLICT (file_sha256) DO NOTHING RETURNING id",
            )
            .bind(&file_sha256[..])
            .bind(at)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|err| self.err(err))?;
            if let Some(id) = inserted {
                return Ok(ImportSourceId(id));
            }
        }
        Err(StoreError::Other(
            "the import could not be read back after a concurrent insert".into(),
        ))
    }

    async fn import_batch(
        &self,
        source: ImportSourceId,
        records: &[ImportRecord<'_>],
    ) -> Result<BatchOutcome, StoreError> {
        crate::import::import_batch(self, source, records).await
    }

    async fn finish_import(
        &self,
        source: ImportSourceId,
        at: OffsetDateTime,
        inserted: u64,
        unchanged: u64,
        rejected: u64,
    ) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE imports SET finished_at = $2, inserted = $3, unchanged = $4, rejected = $5 \
             WHERE id = $1",
        )
        .bind(source.0)
        .bind(at)
        .bind(to_bigint(inserted, "imports.inserted")?)
        .bind(to_bigint(unchanged, "imports.unchanged")?)
        .bind(to_bigint(rejected, "imports.rejected")?)
        .execute(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
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
        .map_err(|err| self.err(err))?;
        rows.iter()
            .map(|row| {
                let sha: Vec<u8> = get(row, 1, "imports.file_sha256")?;
                Ok(ImportRun {
                    id: ImportSourceId(get(row, 0, "imports.id")?),
                    file_sha256: sha.try_into().map_err(|_| StoreError::Corrupt {
                        what: "imports.file_sha256",
                        source: None,
                    })?,
                    started_at: get(row, 2, "imports.started_at")?,
                    finished_at: get(row, 3, "imports.finished_at")?,
                    inserted: from_bigint(get(row, 4, "imports.inserted")?, "imports.inserted")?,
                    unchanged: from_bigint(get(row, 5, "imports.unchanged")?, "imports.unchanged")?,
                    rejected: from_bigint(get(row, 6, "imports.rejected")?, "imports.rejected")?,
                })
            })
            .collect()
    }

    async fn insert_licence(
        &self,
        licence: &Licence,
        authority_id: AuthorityId,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO licences (file_number, region, citizen_id, name, sex, nationality, birth_date, \
             address, first_issue, classes, valid_from, valid_until, authority_id, status, points, \
             points_cycle_start, phone, edition) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        );
        let mut tx = self.pool.begin().await.map_err(|err| self.err(err))?;
        // The same rule as for an import: the id must name the licence's own authority.
        check_authorities(self, &mut tx, &[(authority_id, licence.authority())]).await?;
        bind_licence(query, LicenceRow::from_licence(licence), authority_id)?
            .execute(&mut *tx)
            .await
            .map_err(|err| self.err(err))?;
        add_counts(self, &mut tx, &count_deltas([licence])).await?;
        tx.commit().await.map_err(|err| self.err(err))?;
        Ok(())
    }

    async fn licence(&self, file_number: &FileNumber) -> Result<Option<StoredLicence>, StoreError> {
        let row = sqlx::query(&format!("{LICENCE_SELECT} WHERE l.file_number = $1"))
            .bind(file_number.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(|err| self.err(err))?;
        row.as_ref().map(licence_from_row).transpose()
    }

    async fn licences_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> Result<Vec<StoredLicence>, StoreError> {
        let rows = sqlx::query(&format!(
            "{LICENCE_SELECT} WHERE l.citizen_id = $1 ORDER BY l.file_number"
        ))
        .bind(citizen_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        rows.iter().map(licence_from_row).collect()
    }

    async fn update_licence(
        &self,
        expected_version: i64,
        licence: &Licence,
        entry: NewHistoryEntry,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|err| self.err(err))?;
        let authority_id = ensure_authority_in(self, &mut tx, licence.authority()).await?;
        let row = LicenceRow::from_licence(licence);
        let file_number = row.file_number.clone();
        let region = int(row.region, "licences.region")?;
        // Locks the row, so the region and status read are the ones the UPDATE replaces; a concurrent update from
        // the same version waits here and then finds the version changed.
        let before: Option<(i32, String)> = sqlx::query_as(
            "SELECT region, status FROM licences WHERE file_number = $1 AND version = $2 FOR UPDATE",
        )
        .bind(&file_number)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|err| self.err(err))?;
        let Some((before_region, before_status)) = before else {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT version FROM licences WHERE file_number = $1")
                    .bind(&file_number)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|err| self.err(err))?;
            // Dropping the transaction rolls back the authority it may have added.
            return Err(match exists {
                Some(_) => StoreError::StaleVersion,
                None => StoreError::NotFound { what: "licence" },
            });
        };
        let moved = moved_count(
            (i64::from(before_region), &before_status),
            (row.region, &row.status),
        );
        // $1..$18 are the licence columns, as in insert_licence.
        let query = sqlx::query(
            "UPDATE licences SET region = $2, citizen_id = $3, name = $4, sex = $5, nationality = $6, \
             birth_date = $7, address = $8, first_issue = $9, classes = $10, valid_from = $11, \
             valid_until = $12, authority_id = $13, status = $14, points = $15, \
             points_cycle_start = $16, phone = $17, edition = $18, version = version + 1 \
             WHERE file_number = $1 AND version = $19 RETURNING version",
        );
        let updated: Option<PgRow> = bind_licence(query, row, authority_id)?
            .bind(expected_version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|err| self.err(err))?;
        let Some(updated) = updated else {
            // Unreachable while the row is locked; refuse rather than miscount.
            return Err(StoreError::Other(
                "the licence changed while it was locked for update".into(),
            ));
        };
        let version: i64 = get(&updated, 0, "licences.version")?;
        add_counts(self, &mut tx, &moved).await?;
        sqlx::query(
            "INSERT INTO licence_history (file_number, region, at, actor, reason, kind, before, after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&file_number)
        .bind(region)
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(&entry.reason)
        .bind(entry.kind.as_str())
        .bind(&entry.before)
        .bind(&entry.after)
        .execute(&mut *tx)
        .await
        .map_err(|err| self.err(err))?;
        tx.commit().await.map_err(|err| self.err(err))?;
        Ok(version)
    }

    async fn history(&self, file_number: &FileNumber) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, reason, kind, before, after FROM licence_history \
             WHERE file_number = $1 ORDER BY id",
        )
        .bind(file_number.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        rows.iter()
            .map(|row| {
                let kind: String = get(row, 4, "licence_history.kind")?;
                Ok(HistoryEntry {
                    id: get(row, 0, "licence_history.id")?,
                    file_number: file_number.clone(),
                    at: get(row, 1, "licence_history.at")?,
                    actor: get(row, 2, "licence_history.actor")?,
                    reason: get(row, 3, "licence_history.reason")?,
                    kind: ChangeKind::parse(&kind).ok_or(StoreError::Corrupt {
                        what: "licence_history.kind",
                        source: None,
                    })?,
                    before: get(row, 5, "licence_history.before")?,
                    after: get(row, 6, "licence_history.after")?,
                })
            })
            .collect()
    }

    async fn count_licences(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM licences")
            .fetch_one(&self.pool)
            .await
            .map_err(|err| self.err(err))?;
        from_bigint(count, "licences")
    }

    async fn set_rollout(&self, entry: &RolloutEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO rollout (region, enabled_from, phase) VALUES ($1, $2, $3) \
             ON CONFLICT (region) DO UPDATE \
             SET enabled_from = EXCLUDED.enabled_from, phase = EXCLUDED.phase",
        )
        .bind(int(i64::from(entry.region.as_u32()), "rollout.region")?)
        .bind(entry.enabled_from)
        .bind(&entry.phase)
        .execute(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        Ok(())
    }

    async fn rollout(&self) -> Result<RolloutSchedule, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(|err| self.err(err))?;
        rollout_in(self, &mut conn).await
    }

    async fn insert_credential(
        &self,
        credential: &NewCredential,
    ) -> Result<CredentialRecord, StoreError> {
        let region = int(i64::from(credential.region.as_u32()), "credentials.region")?;
        let mut tx = self.pool.begin().await.map_err(|err| self.err(err))?;
        // Locks the licence row against another credential of the same licence until commit, so of concurrent
        // first credentials exactly one counts as the first claim. NO KEY UPDATE does not block the foreign-key
        // checks (KEY SHARE) of rows that refer to the licence.
        let licence_region: Option<i32> = sqlx::query_scalar(
            "SELECT region FROM licences WHERE file_number = $1 FOR NO KEY UPDATE",
        )
        .bind(credential.file_number.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|err| self.err(err))?;
        let Some(licence_region) = licence_region else {
            return Err(StoreError::NotFound { what: "licence" });
        };
        crate::console::count_claim(
            self,
            &mut tx,
            licence_region,
            credential.file_number.as_str(),
            credential.issued_at,
        )
        .await?;
        // The counter row is locked by the upsert until commit, so indexes are handed out once.
        let row = sqlx::query(
            "INSERT INTO status_list_counters (region, next_index) VALUES ($1, 1) \
             ON CONFLICT (region) DO UPDATE SET next_index = status_list_counters.next_index + 1 \
             RETURNING next_index - 1",
        )
        .bind(region)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| self.err(err))?;
        let index: i64 = get(&row, 0, "status_list_counters.next_index")?;
        let row = sqlx::query(
            "INSERT INTO credentials (region, status_index, file_number, edition, device_key_id, issued_at, valid_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(region)
        .bind(index)
        .bind(credential.file_number.as_str())
        .bind(int(i64::from(credential.edition), "credentials.edition")?)
        .bind(&credential.device_key_id)
        .bind(credential.issued_at)
        .bind(credential.valid_until)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| self.err(err))?;
        let id: i64 = get(&row, 0, "credentials.id")?;
        tx.commit().await.map_err(|err| self.err(err))?;
        Ok(CredentialRecord {
            id,
            status_index: from_bigint(index, "credentials.status_index")?,
            credential: credential.clone(),
            withdrawn_at: None,
        })
    }

    async fn credentials(
        &self,
        file_number: &FileNumber,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, region, status_index, edition, device_key_id, issued_at, valid_until, withdrawn_at \
             FROM credentials WHERE file_number = $1 ORDER BY id",
        )
        .bind(file_number.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        rows.iter()
            .map(|row| {
                Ok(CredentialRecord {
                    id: get(row, 0, "credentials.id")?,
                    status_index: from_bigint(
                        get(row, 2, "credentials.status_index")?,
                        "credentials.status_index",
                    )?,
                    credential: NewCredential {
                        file_number: file_number.clone(),
                        region: region_from_column(
                            i64::from(get::<i32>(row, 1, "credentials.region")?),
                            "credentials.region",
                        )?,
                        edition: u32::try_from(get::<i32>(row, 3, "credentials.edition")?)
                            .map_err(|_| StoreError::Corrupt {
                                what: "credentials.edition",
                                source: None,
                            })?,
                        device_key_id: get(row, 4, "credentials.device_key_id")?,
                        issued_at: get(row, 5, "credentials.issued_at")?,
                        valid_until: get(row, 6, "credentials.valid_until")?,
                    },
                    withdrawn_at: get(row, 7, "credentials.withdrawn_at")?,
                })
            })
            .collect()
    }

    async fn withdraw_credential(&self, id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE credentials SET withdrawn_at = coalesce(withdrawn_at, $1) WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "credential" });
        }
        Ok(())
    }

    async fn credential_licence(
        &self,
        region: RegionCode,
        status_index: u64,
    ) -> Result<Option<(FileNumber, CredentialState)>, StoreError> {
        let Ok(index) = i64::try_from(status_index) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT c.file_number, c.withdrawn_at IS NOT NULL, c.edition <> l.edition, l.status \
             FROM credentials c JOIN licences l ON l.file_number = c.file_number \
             WHERE c.region = $1 AND c.status_index = $2",
        )
        .bind(int(i64::from(region.as_u32()), "region")?)
        .bind(index)
        .fetch_optional(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        row.map(|row| credential_licence_row(&row, 0, status_index))
            .transpose()
    }

    async fn credential_licences(
        &self,
        places: &[(RegionCode, u64)],
    ) -> Result<Vec<Option<(FileNumber, CredentialState)>>, StoreError> {
        let mut found = vec![None; places.len()];
        let mut regions = Vec::with_capacity(places.len());
        // An index beyond i64 is in no list: -1 matches nothing.
        let indexes: Vec<i64> = places
            .iter()
            .map(|(_, index)| i64::try_from(*index).unwrap_or(-1))
            .collect();
        for (region, _) in places {
            regions.push(int(i64::from(region.as_u32()), "region")?);
        }
        let rows = sqlx::query(
            "SELECT p.at, c.file_number, c.withdrawn_at IS NOT NULL, c.edition <> l.edition, \
                    l.status, c.status_index \
             FROM unnest($1::integer[], $2::bigint[]) WITH ORDINALITY AS p(region, status_index, at) \
             JOIN credentials c ON c.region = p.region AND c.status_index = p.status_index \
             JOIN licences l ON l.file_number = c.file_number",
        )
        .bind(regions)
        .bind(indexes)
        .fetch_all(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        for row in rows {
            let at: i64 = get(&row, 0, "places")?;
            let index: i64 = get(&row, 5, "credentials.status_index")?;
            let slot = usize::try_from(at - 1)
                .ok()
                .and_then(|at| found.get_mut(at))
                .ok_or(StoreError::Corrupt {
                    what: "places",
                    source: None,
                })?;
            *slot = Some(credential_licence_row(&row, 1, index as u64)?);
        }
        Ok(found)
    }

    async fn status_list_len(&self, region: RegionCode) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT next_index FROM status_list_counters WHERE region = $1")
            .bind(int(i64::from(region.as_u32()), "region")?)
            .fetch_optional(&self.pool)
            .await
            .map_err(|err| self.err(err))?;
        match row {
            None => Ok(0),
            Some(row) => from_bigint(
                get(&row, 0, "status_list_counters.next_index")?,
                "next_index",
            ),
        }
    }

    async fn credential_states(
        &self,
        region: RegionCode,
        from: u64,
        limit: u32,
    ) -> Result<Vec<CredentialState>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.status_index, c.withdrawn_at IS NOT NULL, c.edition <> l.edition, l.status \
             FROM credentials c JOIN licences l ON l.file_number = c.file_number \
             WHERE c.region = $1 AND c.status_index >= $2 ORDER BY c.status_index LIMIT $3",
        )
        .bind(int(i64::from(region.as_u32()), "region")?)
        .bind(to_bigint(from, "status index")?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        rows.iter()
            .map(|row| {
                let status: String = get(row, 3, "licences.status")?;
                Ok(CredentialState {
                    status_index: from_bigint(
                        get(row, 0, "credentials.status_index")?,
                        "credentials.status_index",
                    )?,
                    withdrawn: get(row, 1, "credentials.withdrawn_at")?,
                    superseded: get(row, 2, "credentials.edition")?,
                    licence_status: StatusSet::parse(&status).map_err(|_| StoreError::Corrupt {
                        what: "licences.status",
                        source: None,
                    })?,
                })
            })
            .collect()
    }

    async fn last_status_change(
        &self,
        region: RegionCode,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let row = sqlx::query(
            "SELECT greatest( \
               (SELECT max(at) FROM licence_history WHERE region = $1), \
               (SELECT max(issued_at) FROM credentials WHERE region = $1), \
               (SELECT max(withdrawn_at) FROM credentials WHERE region = $1))",
        )
        .bind(int(i64::from(region.as_u32()), "region")?)
        .fetch_one(&self.pool)
        .await
        .map_err(|err| self.err(err))?;
        get(&row, 0, "last change")
    }

    async fn region_counts(&self) -> Result<Vec<RegionCount>, StoreError> {
        // One REPEATABLE READ transaction, so counts and schedule come from the same snapshot.
        let mut tx = self.pool.begin().await.map_err(|err| self.err(err))?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(|err| self.err(err))?;
        let schedule = rollout_in(self, &mut tx).await?;
        // The summary the store keeps beside licences, by stored status string (the display rule lives in
        // edl-domain); rows a pair's licences all moved away from hold 0.
        let rows = sqlx::query(
            "SELECT region, status, licences FROM region_status_counts WHERE licences <> 0",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(|err| self.err(err))?;
        let claimed = crate::console::region_claims(self, &mut tx).await?;
        tx.commit().await.map_err(|err| self.err(err))?;
        let groups = rows
            .iter()
            .map(|row| {
                Ok((
                    i64::from(get::<i32>(row, 0, "region_status_counts.region")?),
                    get::<String>(row, 1, "region_status_counts.status")?,
                    get::<i64>(row, 2, "region_status_counts.licences")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut counts = fold_region_counts(groups, &schedule)?;
        for count in &mut counts {
            count.claimed = claimed
                .get(&i64::from(count.region.as_u32()))
                .copied()
                .unwrap_or_default();
        }
        Ok(counts)
    }

    async fn create_account(&self, account: &NewAccount) -> Result<Account, StoreError> {
        crate::holders::create_account(self, account).await
    }

    async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        crate::holders::account(self, id).await
    }

    async fn account_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> Result<Option<Account>, StoreError> {
        crate::holders::account_by_citizen_id(self, citizen_id).await
    }

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        crate::holders::create_session(self, session).await
    }

    async fn session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        crate::holders::session(self, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        crate::holders::delete_session(self, token_hash).await
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        crate::holders::delete_expired_sessions(self, now).await
    }

    async fn create_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        crate::holders::create_claim_challenge(self, nonce_hash, account_id, expires_at).await
    }

    async fn consume_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        crate::holders::consume_claim_challenge(self, nonce_hash, account_id, now).await
    }

    async fn insert_check_event(&self, event: &NewCheckEvent) -> Result<CheckEvent, StoreError> {
        crate::holders::insert_check_event(self, event).await
    }

    async fn check_events(
        &self,
        file_number: &FileNumber,
        limit: u32,
    ) -> Result<Vec<CheckEvent>, StoreError> {
        crate::holders::check_events(self, file_number, limit).await
    }

    async fn insert_share(&self, share: &NewShare) -> Result<Share, StoreError> {
        crate::holders::insert_share(self, share).await
    }

    async fn shares(&self, account_id: i64) -> Result<Vec<Share>, StoreError> {
        crate::holders::shares(self, account_id).await
    }

    async fn share_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<Share>, StoreError> {
        crate::holders::share_by_token(self, token_hash).await
    }

    async fn withdraw_share(
        &self,
        id: i64,
        account_id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        crate::holders::withdraw_share(self, id, account_id, at).await
    }

    async fn create_console_user(&self, user: &NewConsoleUser) -> Result<ConsoleUser, StoreError> {
        crate::console::create_console_user(self, user).await
    }

    async fn console_user(&self, id: i64) -> Result<Option<ConsoleUser>, StoreError> {
        crate::console::console_user(self, id).await
    }

    async fn console_user_by_name(
        &self,
        username: &str,
    ) -> Result<Option<ConsoleUser>, StoreError> {
        crate::console::console_user_by_name(self, username).await
    }

    async fn console_users(&self) -> Result<Vec<ConsoleUser>, StoreError> {
        crate::console::console_users(self).await
    }

    async fn create_console_session(&self, session: &NewConsoleSession) -> Result<(), StoreError> {
        crate::console::create_console_session(self, session).await
    }

    async fn console_session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        crate::console::console_session(self, token_hash, now).await
    }

    async fn delete_console_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        crate::console::delete_console_session(self, token_hash).await
    }

    async fn set_console_user_disabled(
        &self,
        username: &str,
        disabled_at: Option<OffsetDateTime>,
    ) -> Result<ConsoleUser, StoreError> {
        crate::console::set_console_user_disabled(self, username, disabled_at).await
    }

    async fn delete_expired_console_sessions(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        crate::console::delete_expired_console_sessions(self, now).await
    }

    async fn create_organisation(
        &self,
        organisation: &NewOrganisation,
    ) -> Result<Organisation, StoreError> {
        crate::console::create_organisation(self, organisation).await
    }

    async fn organisation(&self, id: i64) -> Result<Option<Organisation>, StoreError> {
        crate::console::organisation(self, id).await
    }

    async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        crate::console::organisations(self).await
    }

    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKey, StoreError> {
        crate::console::create_api_key(self, key).await
    }

    async fn api_key_by_hash(&self, key_hash: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
        crate::console::api_key_by_hash(self, key_hash).await
    }

    async fn api_keys(&self, organisation_id: i64) -> Result<Vec<ApiKey>, StoreError> {
        crate::console::api_keys(self, organisation_id).await
    }

    async fn revoke_api_key(
        &self,
        id: i64,
        organisation_id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        crate::console::revoke_api_key(self, id, organisation_id, at).await
    }

    async fn record_verifications(
        &self,
        verifications: &[NewVerification],
    ) -> Result<(), StoreError> {
        crate::console::record_verifications(self, verifications).await
    }

    async fn verifications(
        &self,
        organisation_id: i64,
        limit: u32,
    ) -> Result<Vec<Verification>, StoreError> {
        crate::console::verifications(self, organisation_id, limit).await
    }

    async fn daily_verifications(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyVerifications>, StoreError> {
        crate::console::daily_verifications(self, region, from, to).await
    }

    async fn daily_claims(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyClaims>, StoreError> {
        crate::console::daily_claims(self, region, from, to).await
    }

    async fn national_daily_verifications(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<NationalDailyVerifications>, StoreError> {
        crate::console::national_daily_verifications(self, from, to).await
    }

    async fn national_daily_claims(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<NationalDailyClaims>, StoreError> {
        crate::console::national_daily_claims(self, from, to).await
    }
}

/// The rollout schedule, read on `conn`.
async fn rollout_in(
    store: &PgStore,
    conn: &mut PgConnection,
) -> Result<RolloutSchedule, StoreError> {
    let rows = sqlx::query("SELECT region, enabled_from, phase FROM rollout ORDER BY region")
        .fetch_all(&mut *conn)
        .await
        .map_err(|err| store.err(err))?;
    let entries = rows
        .iter()
        .map(|row| {
            rollout_entry_from_columns(
                i64::from(get::<i32>(row, 0, "rollout.region")?),
                get(row, 1, "rollout.enabled_from")?,
                get(row, 2, "rollout.phase")?,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RolloutSchedule::new(entries))
}

/// A credential's licence and state from `row`'s columns `first..first + 4` (file number,
/// withdrawn, superseded, licence status letters).
fn credential_licence_row(
    row: &PgRow,
    first: usize,
    status_index: u64,
) -> Result<(FileNumber, CredentialState), StoreError> {
    let file_number = FileNumber::parse(get::<&str>(row, first, "credentials.file_number")?)
        .map_err(|e| StoreError::corrupt("credentials.file_number", e))?;
    let state = CredentialState {
        status_index,
        withdrawn: get(row, first + 1, "credentials.withdrawn_at")?,
        superseded: get(row, first + 2, "credentials.edition")?,
        licence_status: StatusSet::parse(get::<&str>(row, first + 3, "licences.status")?).map_err(
            |_| StoreError::Corrupt {
                what: "licences.status",
                source: None,
            },
        )?,
    };
    Ok((file_number, state))
}
