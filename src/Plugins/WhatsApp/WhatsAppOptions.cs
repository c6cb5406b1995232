namespace ChatGateway.Plugins.WhatsApp;

/// <summary>Settings of one WhatsApp Business (Cloud API) number, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record WhatsAppOptions
{
    /// <summary>Secret: the Meta app's secret, which signs each webhook (<c>X-Hub-Signature-256</c>). Environment only.</summary>
    public string AppSecret { get; init; } = "";

    /// <summary>Secret: the token Meta sends back when it verifies the webhook URL (<c>hub.verify_token</c>). Environment only.</summary>
    public string VerifyToken { get; init; } = "";

    /// <summary>Secret: a system user's permanent access token, the Bearer token of Graph API calls. Environment only.</summary>
    public string AccessToken { get; init; } = "";

    /// <summary>The business phone number's id (not the number): messages go out from it, and webhooks for others are passed over.</summary>
    public string PhoneNumberId { get; init; } = "";

    /// <summary>The Graph API.</summary>
    public string ApiBaseAddress { get; init; } = "https://graph.facebook.com";

    /// <summary>The Graph API version in every path, e.g. <c>v21.0</c>.</summary>
    public string ApiVersion { get; init; } = "v21.0";

    /// <summary>Largest webhook body accepted; larger ones get 413 before anything is parsed.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>How long one API call (or one media download) may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Approved message templates by name (as in WhatsApp Manager): <c>Templates:{name}:Language</c> (e.g. <c>en_US</c>) and
    /// <c>Templates:{name}:Parameters</c>, the body's variables in order, each a fixed text or <c>{text}</c> for the gateway's
    /// message.
    /// </summary>
    public Dictionary<string, WhatsAppTemplateOptions> Templates { get; init; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The template a follow-up goes as when the customer last wrote more than 24 hours ago (one of <see cref="Templates"/>);
    /// empty: such a follow-up is refused and the gateway takes another channel.
    /// </summary>
    public string FollowUpTemplate { get; init; } = "";

    /// <summary>
    /// The template (one of <see cref="Templates"/>) per follow-up kind, e.g. <c>FollowUpTemplates:payment-reminder</c> =
    /// <c>payment_reminder_v1</c>: a follow-up of that kind goes as it outside the 24-hour window; other kinds take
    /// <see cref="FollowUpTemplate"/>.
    /// </summary>
    public Dictionary<string, string> FollowUpTemplates { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The template a follow-up of <paramref name="followUpKind"/> goes as outside the window; null for no follow-up or none configured.</summary>
    public string? FollowUpTemplateFor(string? followUpKind) =>
        followUpKind is null ? null
        : FollowUpTemplates.TryGetValue(followUpKind, out var name) && name.Length > 0 ? name
        : FollowUpTemplate.Length > 0 ? FollowUpTemplate
        : null;

    /// <summary>True when some follow-up could go as a template outside the window.</summary>
    public bool HasFollowUpTemplate => FollowUpTemplate.Length > 0 || FollowUpTemplates.Values.Any(name => name.Length > 0);

    // Records print every property; three of these are secrets.
    public override string ToString() =>
        $"WhatsAppOptions {{ AppSecret = ***, VerifyToken = ***, AccessToken = ***, PhoneNumberId = {PhoneNumberId}, ApiBaseAddress = {ApiBaseAddress}, ApiVersion = {ApiVersion}, MaxBodyBytes = {MaxBodyBytes}, RequestTimeout = {RequestTimeout}, FollowUpTemplate = {FollowUpTemplate}, FollowUpTemplates = [{string.Join(", ", FollowUpTemplates.Select(p => $"{p.Key}: {p.Value}"))}] }}";
}

/// <summary>An approved template: its language and its body's variables.</summary>
internal sealed record WhatsAppTemplateOptions
{
    /// <summary>The template's language code as approved, e.g. <c>en_US</c>, <c>zh_TW</c>.</summary>
    public string Language { get; init; } = "";

    /// <summary>The body's variables in order: a fixed text, or <c>{text}</c> for the gateway's message text.</summary>
    public List<string> Parameters { get; init; } = [];
}
