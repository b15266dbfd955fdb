// Mirrors migrations/; keep in step with them (as `diesel print-schema` would write it).

diesel::table! {
    accounts (id) {
        id -> Int8,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    organizations (id) {
        id -> Int8,
        name -> Text,
        plan -> Text,
        seats_purchased -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    memberships (id) {
        id -> Int8,
        organization_id -> Int8,
        account_id -> Int8,
        role -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    organization_features (organization_id, feature) {
        organization_id -> Int8,
        feature -> Text,
        enabled -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        key_hash -> Bytea,
        account_id -> Nullable<Int8>,
        sid -> Nullable<Text>,
        state -> Jsonb,
        user_agent -> Text,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    signin_failures (key) {
        key -> Text,
        failures -> Int4,
        window_started_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        organization_id -> Nullable<Int8>,
        actor_account_id -> Nullable<Int8>,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Text>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        ip -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Bytea,
    }
}

diesel::joinable!(memberships -> accounts (account_id));
diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(organization_features -> organizations (organization_id));
diesel::joinable!(sessions -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    organizations,
    memberships,
    organization_features,
    sessions,
    signin_failures,
    audit_events,
    instance_secrets,
);
