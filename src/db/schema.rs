// Mirrors migrations/; keep in step with them (as `diesel print-schema` would write it).

diesel::table! {
    accounts (id) {
        id -> Int8,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Nullable<Timestamptz>,
        public_id -> Text,
    }
}

diesel::table! {
    organizations (id) {
        id -> Int8,
        name -> Text,
        plan -> Text,
        seats_purchased -> Int4,
        created_at -> Timestamptz,
        audit_retention_days -> Nullable<Int4>,
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
        custom_role_id -> Nullable<Int8>,
        permissions -> Nullable<Array<Text>>,
        sort_name -> Text,
        search_text -> Text,
        version -> Int4,
        invited_as -> Nullable<Text>,
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
        action_group -> Text,
        member_id -> Nullable<Int8>,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Bytea,
    }
}

diesel::table! {
    custom_roles (id) {
        id -> Int8,
        organization_id -> Int8,
        scope -> Text,
        name -> Text,
        permissions -> Array<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    teams (id) {
        id -> Int8,
        organization_id -> Int8,
        name -> Text,
        description -> Text,
        workflow_id -> Text,
        calibration -> Bool,
        self_review -> Bool,
        goal_threshold -> Int4,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    team_memberships (id) {
        id -> Int8,
        organization_id -> Int8,
        team_id -> Int8,
        membership_id -> Int8,
        role -> Text,
        custom_role_id -> Nullable<Int8>,
        permissions -> Nullable<Array<Text>>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    groups (id) {
        id -> Int8,
        organization_id -> Int8,
        team_id -> Int8,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    group_members (group_id, team_membership_id) {
        group_id -> Int8,
        team_membership_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    services (id) {
        id -> Int8,
        organization_id -> Int8,
        team_id -> Int8,
        name -> Text,
        description -> Text,
        active -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    group_services (group_id, service_id) {
        group_id -> Int8,
        service_id -> Int8,
    }
}

diesel::table! {
    invitations (id) {
        id -> Int8,
        organization_id -> Int8,
        membership_id -> Nullable<Int8>,
        email -> Text,
        role -> Text,
        teams -> Jsonb,
        permissions -> Nullable<Array<Text>>,
        inviter_account_id -> Nullable<Int8>,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        status -> Text,
        created_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        reminded_at -> Nullable<Timestamptz>,
        link_copied_at -> Nullable<Timestamptz>,
        created_account -> Bool,
        inviter_name -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        invitation_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        password_reset_id -> Nullable<Int8>,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        hits -> Int4,
        window_started_at -> Timestamptz,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Int8,
        account_id -> Int8,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    contacts (id) {
        id -> Int8,
        organization_id -> Int8,
        team_id -> Int8,
        name -> Text,
        email -> Text,
        phone -> Text,
        note -> Text,
        assignee_membership_id -> Nullable<Int8>,
        sort_name -> Text,
        search_text -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    membership_archives (membership_id) {
        membership_id -> Int8,
        organization_id -> Int8,
        archived_at -> Timestamptz,
        archived_by_account_id -> Nullable<Int8>,
        archived_by_name -> Text,
        held -> Jsonb,
    }
}

diesel::table! {
    calls (id) {
        id -> Int8,
        organization_id -> Int8,
        team_id -> Int8,
        external_id -> Text,
        started_at -> Timestamptz,
        duration_seconds -> Int4,
        direction -> Text,
        from_number -> Text,
        to_number -> Text,
        agent_membership_id -> Nullable<Int8>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        organization_id -> Int8,
        name -> Text,
        token_hash -> Bytea,
        scopes -> Array<Text>,
        role -> Text,
        created_by_account_id -> Int8,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by_account_id -> Nullable<Int8>,
        last_used_at -> Nullable<Timestamptz>,
        last_used_ip -> Nullable<Text>,
    }
}

diesel::table! {
    presence (organization_id, account_id) {
        organization_id -> Int8,
        account_id -> Int8,
        status -> Text,
        tabs -> Jsonb,
        last_active_at -> Nullable<Timestamptz>,
        next_change_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(memberships -> accounts (account_id));
diesel::joinable!(memberships -> custom_roles (custom_role_id));
diesel::joinable!(teams -> organizations (organization_id));
diesel::joinable!(team_memberships -> teams (team_id));
diesel::joinable!(team_memberships -> memberships (membership_id));
diesel::joinable!(groups -> teams (team_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> team_memberships (team_membership_id));
diesel::joinable!(services -> teams (team_id));
diesel::joinable!(group_services -> groups (group_id));
diesel::joinable!(group_services -> services (service_id));
diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(organization_features -> organizations (organization_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(invitations -> organizations (organization_id));
diesel::joinable!(outbox -> invitations (invitation_id));
diesel::joinable!(password_resets -> accounts (account_id));
diesel::joinable!(contacts -> teams (team_id));
diesel::joinable!(contacts -> memberships (assignee_membership_id));
diesel::joinable!(membership_archives -> memberships (membership_id));
diesel::joinable!(calls -> teams (team_id));
diesel::joinable!(calls -> memberships (agent_membership_id));
diesel::joinable!(api_tokens -> organizations (organization_id));
diesel::joinable!(presence -> organizations (organization_id));
diesel::joinable!(presence -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    organizations,
    memberships,
    organization_features,
    sessions,
    audit_events,
    instance_secrets,
    custom_roles,
    teams,
    team_memberships,
    groups,
    group_members,
    services,
    group_services,
    invitations,
    outbox,
    rate_limits,
    password_resets,
    contacts,
    membership_archives,
    calls,
    api_tokens,
    presence,
);
