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

diesel::joinable!(network_revisions -> networks (network_id));

diesel::allow_tables_to_appear_in_same_query!(
    coverage_snapshots,
    network_revisions,
    networks,
    region_layers,
    regions,
);
