// @generated automatically by Diesel CLI, then `text[]` columns narrowed to `Array<Text>`
// (the migrations make them NOT NULL and the application never stores NULL elements).

diesel::table! {
    coverage_snapshots (day, layer, discipline) {
        day -> Date,
        layer -> Text,
        discipline -> Text,
        networks -> Int4,
        area_km2 -> Float8,
        covered_km2 -> Float8,
        population -> Int8,
        covered_population -> Int8,
        taken_at -> Timestamptz,
    }
}

diesel::table! {
    network_proposals (id) {
        id -> Uuid,
        network_id -> Uuid,
        kind -> Text,
        state -> Text,
        base_version -> Int8,
        version -> Int8,
        document -> Nullable<Jsonb>,
        changes -> Jsonb,
        note -> Nullable<Text>,
        proposed_by -> Text,
        proposed_by_name -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        decided_by -> Nullable<Text>,
        decided_by_name -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        reason -> Nullable<Text>,
        applied_version -> Nullable<Int8>,
    }
}

diesel::table! {
    network_revisions (id) {
        id -> Int8,
        network_id -> Uuid,
        version -> Int8,
        action -> Text,
        actor_sub -> Text,
        actor_name -> Nullable<Text>,
        request_id -> Nullable<Text>,
        changes -> Jsonb,
        snapshot -> Jsonb,
        state -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    networks (id) {
        id -> Uuid,
        name -> Text,
        network_type -> Text,
        scale -> Text,
        parent_id -> Nullable<Uuid>,
        lifecycle -> Text,
        state -> Text,
        description -> Jsonb,
        website -> Nullable<Text>,
        disciplines -> Array<Text>,
        tumour_types -> Array<Text>,
        financing -> Jsonb,
        contacts -> Jsonb,
        members -> Jsonb,
        links -> Jsonb,
        ros_org -> Nullable<Text>,
        service_area -> Jsonb,
        quality -> Jsonb,
        last_verified_at -> Nullable<Timestamptz>,
        demo -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        area -> Nullable<Jsonb>,
        area_km2 -> Nullable<Float8>,
        qualified -> Bool,
        external_id -> Nullable<Text>,
        programme -> Jsonb,
    }
}

diesel::table! {
    region_layers (layer) {
        layer -> Text,
        source -> Text,
        feature_count -> Int4,
        version -> Int8,
        imported_at -> Timestamptz,
    }
}

diesel::table! {
    regions (layer, code) {
        layer -> Text,
        code -> Text,
        name -> Text,
        population -> Nullable<Int8>,
        area_km2 -> Float8,
        geometry -> Jsonb,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        secret -> Text,
        state -> Text,
        disabled_reason -> Nullable<Text>,
        disabled_at -> Nullable<Timestamptz>,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Text,
        #[sql_name = "type"]
        event_type -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (subscription_id, event_id) {
        subscription_id -> Uuid,
        event_id -> Text,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        leased_until -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        retry_from -> Timestamptz,
    }
}

diesel::table! {
    usage_counts (day, kind, subject, filter, found) {
        day -> Date,
        kind -> Text,
        subject -> Text,
        filter -> Text,
        found -> Bool,
        count -> Int8,
    }
}

diesel::table! {
    verification_reminders (network_id, verified_at) {
        network_id -> Uuid,
        verified_at -> Timestamptz,
        announced_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        subscription_id -> Uuid,
        event_id -> Text,
        attempted_at -> Timestamptz,
        status -> Nullable<Int4>,
        error -> Nullable<Text>,
        duration_ms -> Int4,
    }
}

diesel::table! {
    /// `search_nl` and `search_en` (generated tsvector columns) are left out: only the search
    /// query reads them, in SQL (`crate::toolbox::search`).
    toolbox_items (id) {
        id -> Uuid,
        kind -> Text,
        title_nl -> Text,
        title_en -> Text,
        summary_nl -> Text,
        summary_en -> Text,
        body -> Text,
        body_text -> Text,
        financing_forms -> Array<Text>,
        network_types -> Array<Text>,
        stage -> Text,
        url -> Nullable<Text>,
        network_ids -> Array<Uuid>,
        reviewed_at -> Date,
        review_due -> Date,
        ros_org -> Nullable<Text>,
        state -> Text,
        demo -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    toolbox_revisions (id) {
        id -> Int8,
        item_id -> Uuid,
        version -> Int8,
        action -> Text,
        actor_sub -> Text,
        actor_name -> Nullable<Text>,
        request_id -> Nullable<Text>,
        changes -> Jsonb,
        snapshot -> Jsonb,
        state -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(network_proposals -> networks (network_id));
diesel::joinable!(network_revisions -> networks (network_id));
diesel::joinable!(toolbox_revisions -> toolbox_items (item_id));
diesel::joinable!(verification_reminders -> networks (network_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));

diesel::allow_tables_to_appear_in_same_query!(
    coverage_snapshots,
    network_proposals,
    network_revisions,
    networks,
    region_layers,
    regions,
    toolbox_items,
    toolbox_revisions,
    usage_counts,
    verification_reminders,
    webhook_attempts,
    webhook_deliveries,
    webhook_events,
    webhook_subscriptions,
);
