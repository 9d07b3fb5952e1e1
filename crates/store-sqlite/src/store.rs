//! `impl Store for SqliteStore`: authorities, licences, history, imports, rollout and credentials; the web-wallet
//! methods forward to `holders.rs`, the operator console's to `console.rs`.

use edl_domain::{
    CitizenId, FileNumber, IssuingAuthority, Licence, RegionCode, RolloutEntry, RolloutSchedule,
    StatusSet,
};
use edl_store::backend::{
    LicenceRow, count_deltas, fold_region_counts, moved_count, region_from_column,
    region_to_column, rollout_entry_from_columns,
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
use sqlx::SqliteConnection;
use time::{Date, OffsetDateTime};

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
        let claimed = crate::console::region_claims(&mut tx).await?;
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
        let mut counts = fold_region_counts(groups, &schedule)?;
        for count in &mut counts {
            count.claimed = claimed
                .get(&region_to_column(count.region))
                .copied()
                .unwrap_or_default();
        }
        Ok(counts)
    }

    async fn insert_credential(
        &self,
        credential: &NewCredential,
    ) -> Result<CredentialRecord, StoreError> {
        let region = region_to_column(credential.region);
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
        let licence_region: Option<i64> =
            sqlx::query_scalar("SELECT region FROM licences WHERE file_number = ?")
                .bind(credential.file_number.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
        let Some(licence_region) = licence_region else {
            return Err(StoreError::NotFound { what: "licence" });
        };
        // The write lock is held from BEGIN IMMEDIATE, so no other credential of the licence can appear between
        // the first-claim check and the insert.
        crate::console::count_claim(
            &mut tx,
            licence_region,
            credential.file_number.as_str(),
            credential.issued_at,
        )
        .await?;
        let row = sqlx::query(
            "INSERT INTO status_list_counters (region, next_index) VALUES (?, 1) \
             ON CONFLICT (region) DO UPDATE SET next_index = next_index + 1 RETURNING next_index - 1",
        )
        .bind(region)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let index: i64 = get(&row, 0, "status_list_counters.next_index")?;
        let row = sqlx::query(
            "INSERT INTO credentials (region, status_index, file_number, edition, device_key_id, issued_at, valid_until) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(region)
        .bind(index)
        .bind(credential.file_number.as_str())
        .bind(i64::from(credential.edition))
        .bind(&credential.device_key_id)
        .bind(instant_to_text(credential.issued_at)?)
        .bind(instant_to_text(credential.valid_until)?)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let id: i64 = get(&row, 0, "credentials.id")?;
        tx.commit().await.map_err(map_err)?;
        Ok(CredentialRecord {
            id,
            status_index: index as u64,
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
             FROM credentials WHERE file_number = ? ORDER BY id",
        )
        .bind(file_number.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let withdrawn: Option<String> = get(row, 7, "credentials.withdrawn_at")?;
                Ok(CredentialRecord {
                    id: get(row, 0, "credentials.id")?,
                    status_index: get::<i64>(row, 2, "credentials.status_index")? as u64,
                    credential: NewCredential {
                        file_number: file_number.clone(),
                        region: region_from_column(
                            get(row, 1, "credentials.region")?,
                            "credentials.region",
                        )?,
                        edition: u32::try_from(get::<i64>(row, 3, "credentials.edition")?)
                            .map_err(|e| StoreError::corrupt("credentials.edition", e))?,
                        device_key_id: get(row, 4, "credentials.device_key_id")?,
                        issued_at: instant_from_text(
                            get(row, 5, "credentials.issued_at")?,
                            "credentials.issued_at",
                        )?,
                        valid_until: instant_from_text(
                            get(row, 6, "credentials.valid_until")?,
                            "credentials.valid_until",
                        )?,
                    },
                    withdrawn_at: withdrawn
                        .map(|t| instant_from_text(&t, "credentials.withdrawn_at"))
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn withdraw_credential(&self, id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE credentials SET withdrawn_at = coalesce(withdrawn_at, ?) WHERE id = ?",
        )
        .bind(instant_to_text(at)?)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
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
             WHERE c.region = ? AND c.status_index = ?",
        )
        .bind(region_to_column(region))
        .bind(index)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.map(|row| credential_licence_row(&row, 0, status_index))
            .transpose()
    }

    async fn credential_licences(
        &self,
        places: &[(RegionCode, u64)],
    ) -> Result<Vec<Option<(FileNumber, CredentialState)>>, StoreError> {
        let mut found = vec![None; places.len()];
        // The places as one JSON array of [region, index] pairs: one statement whatever their
        // number (an index beyond i64 is in no list and matches nothing).
        let mut json = String::with_capacity(2 + places.len() * 20);
        json.push('[');
        for (i, (region, index)) in places.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            let index = i64::try_from(*index).unwrap_or(-1);
            json.push_str(&format!("[{},{index}]", region_to_column(*region)));
        }
        json.push(']');
        let rows = sqlx::query(
            "SELECT p.key, c.file_number, c.withdrawn_at IS NOT NULL, c.edition <> l.edition, \
                    l.status, c.status_index \
             FROM json_each(?) p \
             JOIN credentials c ON c.region = json_extract(p.value, '$[0]') \
                               AND c.status_index = json_extract(p.value, '$[1]') \
             JOIN licences l ON l.file_number = c.file_number",
        )
        .bind(json)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        for row in rows {
            let at: i64 = get(&row, 0, "places")?;
            let index: i64 = get(&row, 5, "credentials.status_index")?;
            let slot = usize::try_from(at)
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
        let row = sqlx::query("SELECT next_index FROM status_list_counters WHERE region = ?")
            .bind(region_to_column(region))
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        match row {
            None => Ok(0),
            Some(row) => Ok(get::<i64>(&row, 0, "status_list_counters.next_index")? as u64),
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
             WHERE c.region = ? AND c.status_index >= ? ORDER BY c.status_index LIMIT ?",
        )
        .bind(region_to_column(region))
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let status: String = get(row, 3, "licences.status")?;
                Ok(CredentialState {
                    status_index: get::<i64>(row, 0, "credentials.status_index")? as u64,
                    withdrawn: get(row, 1, "credentials.withdrawn_at")?,
                    superseded: get(row, 2, "credentials.edition")?,
                    licence_status: StatusSet::parse(&status)
                        .map_err(|e| StoreError::corrupt("licences.status", e))?,
                })
            })
            .collect()
    }

    async fn last_status_change(
        &self,
        region: RegionCode,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        // Instants are RFC 3339 text; julianday orders them whatever their fractional digits.
        let row = sqlx::query(
            "SELECT at FROM ( \
               SELECT at FROM licence_history WHERE region = ?1 \
               UNION ALL SELECT issued_at FROM credentials WHERE region = ?1 \
               UNION ALL SELECT withdrawn_at FROM credentials WHERE region = ?1 AND withdrawn_at IS NOT NULL \
             ) ORDER BY julianday(at) DESC LIMIT 1",
        )
        .bind(region_to_column(region))
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.map(|row| instant_from_text(get(&row, 0, "last change")?, "last change"))
            .transpose()
    }

    async fn create_account(&self, account: &NewAccount) -> Result<Account, StoreError> {
        crate::holders::create_account(&self.pool, account).await
    }

    async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        crate::holders::account(&self.pool, id).await
    }

    async fn account_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> Result<Option<Account>, StoreError> {
        crate::holders::account_by_citizen_id(&self.pool, citizen_id).await
    }

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        crate::holders::create_session(&self.pool, session).await
    }

    async fn session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        crate::holders::session(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        crate::holders::delete_session(&self.pool, token_hash).await
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        crate::holders::delete_expired_sessions(&self.pool, now).await
    }

    async fn create_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        crate::holders::create_claim_challenge(&self.pool, nonce_hash, account_id, expires_at).await
    }

    async fn consume_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        crate::holders::consume_claim_challenge(&self.pool, nonce_hash, account_id, now).await
    }

    async fn insert_check_event(&self, event: &NewCheckEvent) -> Result<CheckEvent, StoreError> {
        crate::holders::insert_check_event(&self.pool, event).await
    }

    async fn check_events(
        &self,
        file_number: &FileNumber,
        limit: u32,
    ) -> Result<Vec<CheckEvent>, StoreError> {
        crate::holders::check_events(&self.pool, file_number, limit).await
    }

    async fn insert_share(&self, share: &NewShare) -> Result<Share, StoreError> {
        crate::holders::insert_share(&self.pool, share).await
    }

    async fn shares(&self, account_id: i64) -> Result<Vec<Share>, StoreError> {
        crate::holders::shares(&self.pool, account_id).await
    }

    async fn share_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<Share>, StoreError> {
        crate::holders::share_by_token(&self.pool, token_hash).await
    }

    async fn withdraw_share(
        &self,
        id: i64,
        account_id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        crate::holders::withdraw_share(&self.pool, id, account_id, at).await
    }

    async fn create_console_user(&self, user: &NewConsoleUser) -> Result<ConsoleUser, StoreError> {
        crate::console::create_console_user(&self.pool, user).await
    }

    async fn console_user(&self, id: i64) -> Result<Option<ConsoleUser>, StoreError> {
        crate::console::console_user(&self.pool, id).await
    }

    async fn console_user_by_name(
        &self,
        username: &str,
    ) -> Result<Option<ConsoleUser>, StoreError> {
        crate::console::console_user_by_name(&self.pool, username).await
    }

    async fn console_users(&self) -> Result<Vec<ConsoleUser>, StoreError> {
        crate::console::console_users(&self.pool).await
    }

    async fn create_console_session(&self, session: &NewConsoleSession) -> Result<(), StoreError> {
        crate::console::create_console_session(&self.pool, session).await
    }

    async fn console_session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        crate::console::console_session(&self.pool, token_hash, now).await
    }

    async fn delete_console_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        crate::console::delete_console_session(&self.pool, token_hash).await
    }

    async fn set_console_user_disabled(
        &self,
        username: &str,
        disabled_at: Option<OffsetDateTime>,
    ) -> Result<ConsoleUser, StoreError> {
        crate::console::set_console_user_disabled(&self.pool, username, disabled_at).await
    }

    async fn delete_expired_console_sessions(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        crate::console::delete_expired_console_sessions(&self.pool, now).await
    }

    async fn create_organisation(
        &self,
        organisation: &NewOrganisation,
    ) -> Result<Organisation, StoreError> {
        crate::console::create_organisation(&self.pool, organisation).await
    }

    async fn organisation(&self, id: i64) -> Result<Option<Organisation>, StoreError> {
        crate::console::organisation(&self.pool, id).await
    }

    async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        crate::console::organisations(&self.pool).await
    }

    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKey, StoreError> {
        crate::console::create_api_key(&self.pool, key).await
    }

    async fn api_key_by_hash(&self, key_hash: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
        crate::console::api_key_by_hash(&self.pool, key_hash).await
    }

    async fn api_keys(&self, organisation_id: i64) -> Result<Vec<ApiKey>, StoreError> {
        crate::console::api_keys(&self.pool, organisation_id).await
    }

    async fn revoke_api_key(
        &self,
        id: i64,
        organisation_id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        crate::console::revoke_api_key(&self.pool, id, organisation_id, at).await
    }

    async fn record_verifications(
        &self,
        verifications: &[NewVerification],
    ) -> Result<(), StoreError> {
        crate::console::record_verifications(&self.pool, verifications).await
    }

    async fn verifications(
        &self,
        organisation_id: i64,
        limit: u32,
    ) -> Result<Vec<Verification>, StoreError> {
        crate::console::verifications(&self.pool, organisation_id, limit).await
    }

    async fn daily_verifications(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyVerifications>, StoreError> {
        crate::console::daily_verifications(&self.pool, region, from, to).await
    }

    async fn daily_claims(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyClaims>, StoreError> {
        crate::console::daily_claims(&self.pool, region, from, to).await
    }

    async fn national_daily_verifications(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<NationalDailyVerifications>, StoreError> {
        crate::console::national_daily_verifications(&self.pool, from, to).await
    }

    async fn national_daily_claims(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<NationalDailyClaims>, StoreError> {
        crate::console::national_daily_claims(&self.pool, from, to).await
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

/// A credential's licence and state from `row`'s columns `first..first + 4` (file number,
/// withdrawn, superseded, licence status letters).
fn credential_licence_row(
    row: &sqlx::sqlite::SqliteRow,
    first: usize,
    status_index: u64,
) -> Result<(FileNumber, CredentialState), StoreError> {
    let file_number = FileNumber::parse(get::<&str>(row, first, "credentials.file_number")?)
        .map_err(|e| StoreError::corrupt("credentials.file_number", e))?;
    let state = CredentialState {
        status_index,
        withdrawn: get(row, first + 1, "credentials.withdrawn_at")?,
        superseded: get(row, first + 2, "credentials.edition")?,
        licence_status: StatusSet::parse(get::<&str>(row, first + 3, "licences.status")?)
            .map_err(|e| StoreError::corrupt("licences.status", e))?,
    };
    Ok((file_number, state))
}
