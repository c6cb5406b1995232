namespace ChatGateway.Testing.Conformance;

/// <summary>
/// A plugin's webhook as its provider calls it, for the conformance kit's behaviour tests: bodies as the provider sends
/// them and a signer that proves a body the way the provider does (in headers, <see cref="Sign"/>, or in the query
/// string, <see cref="SignQuery"/>). The kit makes the rest from them (a forged, an
/// unsigned, an oversized, a redelivered and a corrupted request) and drives the plugin's real endpoint.
/// </summary>
public sealed class WebhookSamples
{
    /// <summary>The webhook's path under <c>/channels/{instanceId}/</c>, e.g. <c>webhook</c>.</summary>
    public required string Path { get; init; }

    /// <summary>The request's content type, e.g. <c>application/json</c>.</summary>
    public required string ContentType { get; init; }

    /// <summary>A body carrying one customer message, as the provider sends it (the signer signs it).</summary>
    public required byte[] SingleMessage { get; init; }

    /// <summary>A body carrying several customer messages (<see cref="BatchMessages"/>), or null when the provider sends one per request.</summary>
    public byte[]? Batch { get; init; }

    /// <summary>How many inbound messages <see cref="Batch"/> yields.</summary>
    public int BatchMessages { get; init; }

    /// <summary>
    /// The headers that prove a body sent to this URL (the provider's signature), given the full request URL and the
    /// exact body bytes. Null for a provider that proves its requests in the query string only (<see cref="SignQuery"/>).
    /// </summary>
    public Func<Uri, byte[], IReadOnlyDictionary<string, string>>? Sign { get; init; }

    /// <summary>
    /// For a provider that signs in the request's query string (WeChat's <c>signature</c>, <c>timestamp</c>, <c>nonce</c>
    /// and <c>msg_signature</c>): the query (without <c>?</c>) the kit appends to the webhook's URL for a body, given the
    /// URL without it and the exact body bytes. Null (the default) when the proof is in headers only (<see cref="Sign"/>).
    /// An unsigned request then has neither the query nor the headers.
    /// </summary>
    public Func<Uri, byte[], string>? SignQuery { get; init; }

    /// <summary>
    /// True (the default) when the provider's proof covers the body (an HMAC of it); false when it is a shared secret
    /// that proves only who called (Telegram's <c>X-Telegram-Bot-Api-Secret-Token</c>): the kit then skips the facts
    /// about a changed or corrupted body, and still checks a missing or wrong proof.
    /// </summary>
    public bool SignatureCoversBody { get; init; } = true;

    /// <summary>The largest body the webhook takes, in bytes: the kit sends a properly signed one a byte over it and expects 413.</summary>
    public required long MaxBodyBytes { get; init; }

    /// <summary>Settings laid over the plugin's valid settings for the webhook tests (e.g. the secret <see cref="Sign"/> uses).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// The provider's API as a plugin's tests fake it (a local HTTP server speaking the provider's wire format), for the
/// conformance kit's send tests.
/// </summary>
public interface IFakeProviderApi : IAsyncDisposable
{
    /// <summary>Settings laid over the plugin's valid settings so that an instance sends to this fake (its <c>ApiBaseAddress</c>, the credentials it checks).</summary>
    IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>Answers the next send request with this HTTP status code and the provider's error body for it, instead of accepting it.</summary>
    void FailNextSend(int statusCode);

    /// <summary>The idempotency key each send request carried (null for one without), oldest first.</summary>
    IReadOnlyList<string?> SendKeys { get; }

    /// <summary>
    /// Told where the kit serves the plugin's own endpoints during a send test (<c>/channels/{id}/…</c> under
    /// <paramref name="address"/>), for a provider that fetches what the plugin publishes (Twilio fetching an MMS picture
    /// from the shop's public address): route the plugin's public address there. Nothing by default.
    /// </summary>
    void PluginServedAt(Uri address)
    {
    }
}
