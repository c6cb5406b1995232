namespace ChatGateway.Plugins.Telegram;

/// <summary>Settings of one Telegram instance, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record TelegramOptions
{
    /// <summary>Secret: the bot's token from BotFather (<c>123456:ABC…</c>), part of every API URL. Environment only.</summary>
    public string BotToken { get; init; } = "";

    /// <summary>Secret: what Telegram sends in <c>X-Telegram-Bot-Api-Secret-Token</c> with each update. Environment only.</summary>
    public string SecretToken { get; init; } = "";

    /// <summary>Where the Bot API lives.</summary>
    public string ApiBaseAddress { get; init; } = "https://api.telegram.org";

    /// <summary>The public https address of this instance's webhook; when set, it is registered with <c>setWebhook</c> at start-up.</summary>
    public string? WebhookUrl { get; init; }

    /// <summary>
    /// True to fetch updates by long polling (<c>getUpdates</c>) instead of a webhook: for a gateway Telegram cannot reach.
    /// One gateway instance of a cluster polls at a time (a lease); the offset is kept in the channel's state.
    /// </summary>
    public bool LongPolling { get; init; }

    /// <summary>How long one <c>getUpdates</c> call waits for updates (Telegram's <c>timeout</c>, whole seconds).</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>Largest webhook body accepted; larger ones get 413 before anything is parsed.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>How long one API call (or one file download) may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two <c>setWebhook</c> attempts while Telegram cannot be reached.</summary>
    public TimeSpan MaxRegistrationBackoff { get; init; } = TimeSpan.FromMinutes(5);

    // Records print every property; two of these are secrets.
    public override string ToString() =>
        $"TelegramOptions {{ BotToken = ***, SecretToken = ***, ApiBaseAddress = {ApiBaseAddress}, WebhookUrl = {WebhookUrl}, MaxBodyBytes = {MaxBodyBytes}, RequestTimeout = {RequestTimeout} }}";
}
