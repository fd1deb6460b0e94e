//! The tables, as diesel sees them; the same on both backends.

diesel::table! {
    producers (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        time_zone -> Text,
        languages -> Text,
        centres -> Text,
        working_hours -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    time_off (id) {
        id -> Text,
        producer_id -> Text,
        start_at -> Timestamp,
        end_at -> Timestamp,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bookings (id) {
        id -> Text,
        reservation_number -> Text,
        status -> Text,
        package_id -> Text,
        start_at -> Timestamp,
        end_at -> Timestamp,
        window_start -> Timestamp,
        window_end -> Timestamp,
        time_zone -> Text,
        duration_minutes -> Integer,
        producer_id -> Text,
        language -> Text,
        language_pending -> Bool,
        contact -> Text,
        contact_email_norm -> Text,
        company -> Text,
        site -> Text,
        meeting -> Text,
        event -> Text,
        extensions -> Text,
        charges -> Text,
        cancellation_policy -> Text,
        cancellation -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
        coordinator_id -> Nullable<Text>,
        coordinator -> Nullable<Text>,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    booking_events (id) {
        id -> Text,
        booking_id -> Text,
        seq -> Integer,
        at -> Timestamp,
        kind -> Text,
        actor -> Text,
        old_start -> Nullable<Timestamp>,
        old_end -> Nullable<Timestamp>,
        new_start -> Nullable<Timestamp>,
        new_end -> Nullable<Timestamp>,
        old_producer_id -> Nullable<Text>,
        new_producer_id -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    staff_tokens (id) {
        id -> Text,
        token_hash -> Text,
        role -> Text,
        label -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        staff_id -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (key) {
        key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
        booking_id -> Nullable<Text>,
    }
}

diesel::joinable!(time_off -> producers (producer_id));
diesel::joinable!(bookings -> producers (producer_id));
diesel::joinable!(booking_events -> bookings (booking_id));

diesel::allow_tables_to_appear_in_same_query!(
    producers,
    time_off,
    bookings,
    booking_events,
    staff_tokens,
    idempotency_keys
);

diesel::table! {
    outbox (id) {
        id -> Text,
        booking_id -> Nullable<Text>,
        kind -> Text,
        recipient -> Text,
        locale -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        delivered_as -> Nullable<Text>,
    }
}

diesel::joinable!(outbox -> bookings (booking_id));
diesel::allow_tables_to_appear_in_same_query!(outbox, bookings);

diesel::table! {
    web_sessions (id) {
        id -> Text,
        data -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    staff_members (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        email_norm -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        coordinator_zones -> Nullable<Text>,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Text,
        staff_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_invitations (token_hash) {
        token_hash -> Text,
        staff_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    closures (id) {
        id -> Text,
        name -> Text,
        first_day -> Text,
        last_day -> Text,
        zones -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_feeds (token_hash) {
        token_hash -> Text,
        staff_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(calendar_feeds -> staff_members (staff_id));
diesel::joinable!(staff_sessions -> staff_members (staff_id));
diesel::joinable!(staff_tokens -> staff_members (staff_id));
diesel::allow_tables_to_appear_in_same_query!(
    calendar_feeds,
    staff_sessions,
    staff_members,
    staff_tokens
);

diesel::table! {
    roster_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        booking_id -> Text,
        seq -> Integer,
        event_type -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (delivery_id, attempt) {
        delivery_id -> Text,
        attempt -> Integer,
        at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> Integer,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries, webhook_attempts);

diesel::table! {
    reminders (id) {
        id -> Text,
        booking_id -> Text,
        kind -> Text,
        due_at -> Timestamp,
        status -> Text,
        created_at -> Timestamp,
        queued_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(reminders -> bookings (booking_id));
diesel::allow_tables_to_appear_in_same_query!(reminders, bookings);

diesel::table! {
    event_reports (booking_id) {
        booking_id -> Text,
        recording_links -> Nullable<Text>,
        attendance_csv -> Nullable<Text>,
        attendees -> Nullable<Integer>,
        no_show_reason -> Nullable<Text>,
        follow_up_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::joinable!(event_reports -> bookings (booking_id));
diesel::allow_tables_to_appear_in_same_query!(event_reports, bookings);

diesel::table! {
    assignments (id) {
        id -> Text,
        booking_id -> Text,
        kind -> Text,
        producer_id -> Text,
        window_start -> Timestamp,
        window_end -> Timestamp,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(assignments -> bookings (booking_id));
diesel::allow_tables_to_appear_in_same_query!(assignments, bookings);
