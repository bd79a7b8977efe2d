// Which strings each widget family shows: the top-level keys of `locales/<tag>.json` that its
// widgets read, and their shapes. Included twice, so that one list drives both: by `build.rs`,
// which cuts each family's keys out of every locale file for that family's wasm, and by
// `src/core/i18n.rs`, which makes each list a struct its widgets read their strings from. A key
// may belong to several families (the coupon code's copy button is the badge's and the games').

families! {
    /// The strings of `<lojal-badge>`: its balance, rewards and coupons, and its panels under
    /// `loyalty`.
    pub struct BadgeStrings for "badge" {
        pub points: Plural,
        pub points_to_next_tier: Plural,
        pub top_tier: String,
        pub badge_label: String,
        pub rewards_title: String,
        pub no_rewards_yet: Plural,
        pub reward_cost: Plural,
        pub redeem: String,
        pub redeeming: String,
        pub coupon_title: String,
        pub copy: String,
        pub copied: String,
        pub expires: String,
        pub loading: String,
        pub close: String,
        pub guest_cta: Plural,
        pub guest_cta_no_bonus: String,
        pub stale_balance: String,
        pub insufficient_points: String,
        pub redeem_failed: String,
        pub signed_out: String,
        pub loyalty: LoyaltyStrings,
    }

    /// The strings of `<lojal-carousel>`.
    pub struct CarouselStrings for "carousel" {
        pub carousel: String,
        pub slide: String,
        pub slide_label: String,
        pub previous: String,
        pub next: String,
        pub pause_rotation: String,
        pub start_rotation: String,
        pub sold_out: String,
        pub price_from: String,
        pub price_before: String,
        pub rating_label: Plural,
        pub loading_products: String,
        pub title_related: String,
        pub title_bought_together: String,
        pub title_popular: String,
        pub title_back_in_stock: String,
        pub title_recently_viewed: String,
        pub title_for_you: String,
        pub title_cart: String,
    }

    /// The strings of the reward games, `<lojal-wheel>` and `<lojal-scratch>`.
    pub struct GameStrings for "games" {
        pub copy: String,
        pub copied: String,
        pub expires: String,
        pub close: String,
        pub game_loading: String,
        pub game_spin: String,
        pub game_spinning: String,
        pub game_scratch_here: String,
        pub game_reveal: String,
        pub game_drawing: String,
        pub game_won: String,
        pub game_no_prize: String,
        pub game_again_today: String,
        pub game_again_tomorrow: String,
        pub game_again_later: String,
        pub game_over: String,
        pub game_upcoming: String,
        pub game_login_required: String,
        pub game_unavailable: String,
        pub game_play_failed: String,
        pub game_signed_out: String,
        pub game_consent_changed: String,
        pub game_email_label: String,
        pub game_email_hint: String,
        pub game_email_invalid: String,
        pub game_consent_optional: String,
        pub game_rules: String,
        pub game_rules_link: String,
        pub game_chance: String,
        pub game_remaining: Plural,
        pub game_wheel_label: String,
        pub game_coupon_pending: String,
        pub game_coupon_later: String,
        pub game_coupon_failed: String,
        pub game_scratch_label: String,
    }

    /// The strings of the feedback prompts, all under `feedback`.
    pub struct FeedbackStrings for "feedback" {
        pub feedback: PromptStrings,
    }
}
