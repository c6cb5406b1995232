using System.Net;

using ChatGateway.Abstractions;

using Xunit;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// The webhook behaviour the gateway relies on, checked by driving the plugin's real endpoint (Kestrel on 127.0.0.1, the
/// instance's own container) with the plugin's sample payloads: refused before the sink when the signature is wrong or
/// missing, no 2xx before the sink returned, non-2xx when it failed, a redelivery stored once, the size limit kept.
/// </summary>
public abstract partial class ChannelPluginConformanceTests
{
    private const string NoWebhook = "The plugin gives no webhook samples (Webhook is null).";

    private const string NoBodySignature = "The provider's proof is a shared secret that does not cover the body (WebhookSamples.SignatureCoversBody is false).";

    /// <summary>How long the slow-sink check waits for an answer that must not come while the sink is held.</summary>
    private static readonly TimeSpan HeldSinkWait = TimeSpan.FromMilliseconds(300);

    private static readonly TimeSpan WebhookTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The plugin's webhook samples; null (the default) for a plugin without a provider webhook: those tests skip.</summary>
    protected virtual WebhookSamples? Webhook => null;

    [Fact]
    public async Task Webhook_SignedSingleMessage_IsAcknowledgedAndStoredOnce()
    {
        var samples = RequireWebhook();
        await using var run = await StartWebhookAsync(samples);

        using var response = await run.SendSignedAsync(samples.SingleMessage);

        AssertSuccess(response, "a properly signed message");
        Assert.True(run.Inbound.Accepted.Count == 1,
            $"A signed message must be in the sink once, before the answer; the sink holds {run.Inbound.Accepted.Count}.");
    }

    [Fact]
    public async Task Webhook_BodyChangedAfterSigning_IsRefusedBeforeTheSink()
    {
        var samples = RequireWebhook();
        Assert.SkipUnless(samples.SignatureCoversBody, NoBodySignature);
        await using var run = await StartWebhookAsync(samples);

        using var response = await run.SendAsync(ChangeOneByte(samples.SingleMessage), run.Sign(samples.SingleMessage));

        AssertRefused(run, response, "a body changed after it was signed");
    }

    [Fact]
    public async Task Webhook_SignatureOfAnotherBody_IsRefusedBeforeTheSink()
    {
        var samples = RequireWebhook();
        Assert.SkipUnless(samples.SignatureCoversBody, NoBodySignature);
        await using var run = await StartWebhookAsync(samples);

        using var response = await run.SendAsync(samples.SingleMessage, run.Sign(ChangeOneByte(samples.SingleMessage)));

        AssertRefused(run, response, "a body sent with the signature of another body");
    }

    [Fact]
    public async Task Webhook_Unsigned_IsRefusedBeforeTheSink()
    {
        var samples = RequireWebhook();
        await using var run = await StartWebhookAsync(samples);

        using var response = await run.SendAsync(samples.SingleMessage, proof: null);

        AssertRefused(run, response, "an unsigned body");
    }

    [Fact]
    public async Task Webhook_CorruptedBodyWithTheOriginalSignature_IsRefusedAsUnsignedNotAsMalformed()
    {
        var samples = RequireWebhook();
        Assert.SkipUnless(samples.SignatureCoversBody, NoBodySignature);
        await using var run = await StartWebhookAsync(samples);
        var signature = run.Sign(samples.SingleMessage);
        var body = samples.SingleMessage;

        // Each is nonsense to a parser; a plugin that answers 400 to one parsed it before it checked who sent it.
        (string What, byte[] Body)[] corrupted =
        [
            ("the body cut in half", body[..(body.Length / 2)]),
            ("the body twice over", [.. body, .. body]),
            ("bytes that are no text", [0xFF, 0xFE, 0x00, 0x7B, 0x3C, 0x26, 0x3D, 0x25, 0xC3, 0x28, 0x22, 0x5B]),
        ];
        foreach (var (what, corruptBody) in corrupted)
        {
            using var response = await run.SendAsync(corruptBody, signature);
            AssertRefused(run, response, $"{what}, sent with the signature of the original");
        }
    }

    [Fact]
    public async Task Webhook_OverTheSizeLimit_IsRefusedWith413BeforeTheSink()
    {
        var samples = RequireWebhook();
        Assert.True(samples.MaxBodyBytes >= samples.SingleMessage.Length, "WebhookSamples.MaxBodyBytes must be at least the single message's size.");
        Assert.True(samples.MaxBodyBytes < 64L * 1024 * 1024, "WebhookSamples.MaxBodyBytes is larger than the kit sends (64 MB).");
        await using var run = await StartWebhookAsync(samples);

        // Padded with spaces (which JSON ignores and a form keeps in its last value), properly signed: refused for its size.
        var oversized = new byte[samples.MaxBodyBytes + 1];
        samples.SingleMessage.CopyTo(oversized, 0);
        oversized.AsSpan(samples.SingleMessage.Length).Fill((byte)' ');
        var signature = run.Sign(oversized);

        using (var response = await run.SendAsync(oversized, signature))
        {
            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge,
                $"A signed body of MaxBodyBytes + 1 ({oversized.Length} bytes) must be answered 413; it was answered {(int)response.StatusCode}.");
        }

        // The same without Content-Length (chunked): a limit that only reads the header lets it through.
        using (var chunked = await run.SendAsync(oversized, signature, chunked: true))
        {
            Assert.True(chunked.StatusCode == HttpStatusCode.RequestEntityTooLarge,
                $"A chunked signed body of MaxBodyBytes + 1 (no Content-Length) must be answered 413; it was answered {(int)chunked.StatusCode}.");
        }

        Assert.True(run.Inbound.Calls == 0, $"A body over the limit reached the sink ({run.Inbound.Calls} calls).");
    }

    [Fact]
    public async Task Webhook_Redelivered_IsAcknowledgedBothTimesAndStoredOnce()
    {
        var samples = RequireWebhook();
        await using var run = await StartWebhookAsync(samples);
        run.Inbound.Deduplicate = true;
        var signature = run.Sign(samples.SingleMessage);

        using var first = await run.SendAsync(samples.SingleMessage, signature);
        using var second = await run.SendAsync(samples.SingleMessage, signature);

        AssertSuccess(first, "the first delivery");
        AssertSuccess(second, "the same request delivered again (the provider heard no answer the first time)");
        Assert.True(run.Inbound.Accepted.Count == 1, $"A redelivery must be stored once; the sink holds {run.Inbound.Accepted.Count}.");
        var ids = run.Inbound.Received.Select(m => m.ProviderMessageId).Distinct().ToList();
        Assert.True(run.Inbound.Received.Count == 2 && ids.Count == 1,
            $"Both deliveries must reach the sink with the provider's same message id (so the gateway stores it once); it got {run.Inbound.Received.Count} calls with {ids.Count} ids.");
    }

    [Fact]
    public async Task Webhook_SinkStillStoring_IsNotAcknowledgedUntilTheSinkReturns()
    {
        var samples = RequireWebhook();
        await using var run = await StartWebhookAsync(samples);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        run.Inbound.BeforeAccept = async (_, cancellationToken) =>
        {
            entered.TrySetResult();
            await release.Task.WaitAsync(cancellationToken);
        };

        var answer = run.SendSignedAsync(samples.SingleMessage);
        try
        {
            await Task.WhenAny(entered.Task, answer).Unwrap().WaitAsync(WebhookTimeout, TestContext.Current.CancellationToken);
            Assert.True(entered.Task.IsCompleted, "The signed message was answered without reaching the sink.");
            var answeredEarly = await Task.WhenAny(answer, Task.Delay(HeldSinkWait, TestContext.Current.CancellationToken)) == answer;
            Assert.False(answeredEarly,
                "The provider was answered while the sink was still storing the message: a crash then loses a message the provider thinks delivered.");
        }
        finally
        {
            release.TrySetResult();
        }

        using var response = await answer;
        AssertSuccess(response, "a message the sink stored slowly");
        Assert.Single(run.Inbound.Accepted);
    }

    [Fact]
    public async Task Webhook_SinkFails_IsAnswered5xxSoTheProviderSendsItAgain()
    {
        var samples = RequireWebhook();
        await using var run = await StartWebhookAsync(samples);
        run.Inbound.BeforeAccept = (_, _) => throw new InvalidOperationException("store down (conformance kit)");

        using var response = await run.SendSignedAsync(samples.SingleMessage);

        AssertServerError(run, response, "a message the sink failed to store (the store is down)");
    }

    [Fact]
    public async Task Webhook_Batch_IsAcknowledgedWithEveryMessageStored()
    {
        var (samples, batch) = RequireBatch();
        await using var run = await StartWebhookAsync(samples);

        using var response = await run.SendSignedAsync(batch);

        AssertSuccess(response, "a signed batch");
        Assert.True(run.Inbound.Accepted.Count == samples.BatchMessages,
            $"A batch of {samples.BatchMessages} messages must store them all before the answer; the sink holds {run.Inbound.Accepted.Count}.");
    }

    [Fact]
    public async Task Webhook_BatchWithOneMessageRefused_IsAcknowledgedWithTheOthersStored()
    {
        var (samples, batch) = RequireBatch();
        await using var run = await StartWebhookAsync(samples);
        var calls = 0;
        run.Inbound.RejectWhen = _ => Interlocked.Increment(ref calls) == 2 ? "refused by the conformance kit" : null;

        using var response = await run.SendSignedAsync(batch);

        // Sent again it would be refused again: acknowledge, and keep the rest (IInboundSink.AcceptBatchAsync).
        AssertSuccess(response, "a batch with one message the sink refused");
        Assert.True(run.Inbound.Accepted.Count == samples.BatchMessages - 1,
            $"The messages of a batch besides the refused one must be stored; the sink holds {run.Inbound.Accepted.Count} of {samples.BatchMessages - 1}.");
    }

    [Fact]
    public async Task Webhook_BatchWhenTheSinkFails_IsAnswered5xx()
    {
        var (samples, batch) = RequireBatch();
        await using var run = await StartWebhookAsync(samples);
        var calls = 0;
        run.Inbound.BeforeAccept = (_, _) => Interlocked.Increment(ref calls) == 2
            ? throw new InvalidOperationException("store down (conformance kit)")
            : Task.CompletedTask;

        using var response = await run.SendSignedAsync(batch);

        AssertServerError(run, response, "a batch whose second message the sink failed to store");
    }

    private WebhookSamples RequireWebhook()
    {
        Assert.SkipWhen(Webhook is null, NoWebhook);
        Assert.True(Webhook!.Sign is not null || Webhook.SignQuery is not null,
            "WebhookSamples needs Sign (the headers that prove a body) or SignQuery (the query string that does), or both.");
        return Webhook;
    }

    private (WebhookSamples Samples, byte[] Batch) RequireBatch()
    {
        var samples = RequireWebhook();
        Assert.SkipWhen(samples.Batch is null, "The plugin's provider sends one message per request (WebhookSamples.Batch is null).");
        Assert.True(samples.BatchMessages >= 2, "WebhookSamples.BatchMessages must say how many messages the batch carries (at least 2).");
        return (samples, samples.Batch!);
    }

    private async Task<WebhookRun> StartWebhookAsync(WebhookSamples samples)
    {
        var container = Build(Overlay(ValidSettings, samples.Settings));
        try
        {
            var host = await ChannelEndpointHost.StartAsync(Plugin, container, TestContext.Current.CancellationToken);
            return new WebhookRun(samples, container, host);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    private static Dictionary<string, string?> Overlay(IReadOnlyDictionary<string, string?> settings, IReadOnlyDictionary<string, string?> over)
    {
        var merged = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in over)
        {
            merged[key] = value;
        }

        return merged;
    }

    /// <summary>The body with one letter replaced by another (outside a %-escape, whose case would not matter).</summary>
    private static byte[] ChangeOneByte(byte[] body)
    {
        var changed = body.ToArray();
        for (var offset = 0; offset < changed.Length; offset++)
        {
            var i = (changed.Length / 2 + offset) % changed.Length;
            var escaped = (i >= 1 && changed[i - 1] == '%') || (i >= 2 && changed[i - 2] == '%');
            if (char.IsAsciiLetter((char)changed[i]) && !escaped)
            {
                changed[i] = (byte)(changed[i] is (byte)'x' or (byte)'X' ? changed[i] - 1 : changed[i] + 1 - (changed[i] is (byte)'z' or (byte)'Z' ? 2 : 0));
                return changed;
            }
        }

        Assert.Fail("WebhookSamples.SingleMessage has no letter the kit can change to forge it.");
        return changed;
    }

    private static void AssertSuccess(HttpResponseMessage response, string what) =>
        Assert.True(response.IsSuccessStatusCode, $"The webhook must acknowledge {what} with 2xx; it answered {(int)response.StatusCode}.");

    private static void AssertRefused(WebhookRun run, HttpResponseMessage response, string what)
    {
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden,
            $"The webhook must refuse {what} with 401 or 403 (who sent it is unproven); it answered {(int)response.StatusCode}.");
        Assert.True(run.Inbound.Calls == 0, $"The webhook gave {what} to the sink ({run.Inbound.Calls} calls) before refusing it.");
    }

    private static void AssertServerError(WebhookRun run, HttpResponseMessage response, string what)
    {
        Assert.True(run.Inbound.Calls > 0, $"The sink was never called for {what}: the kit could not make it fail.");
        Assert.True((int)response.StatusCode >= 500,
            $"The webhook must answer {what} with 5xx, so that the provider sends it again; it answered {(int)response.StatusCode}.");
    }

    /// <summary>How a request proves who sent it: headers, a query string appended to the URL, or both.</summary>
    private sealed record WebhookProof(IReadOnlyDictionary<string, string> Headers, string? Query);

    /// <summary>One instance's webhook on a real server, and how to call it as the provider would.</summary>
    private sealed class WebhookRun(WebhookSamples samples, ChannelInstanceContainer container, ChannelEndpointHost host) : IAsyncDisposable
    {
        public RecordingInboundSink Inbound => container.Inbound;

        public Uri Url { get; } = host.UrlFor(container.Instance, samples.Path);

        public WebhookProof Sign(byte[] body) => new(
            samples.Sign?.Invoke(Url, body) ?? new Dictionary<string, string>(),
            samples.SignQuery?.Invoke(Url, body));

        public Task<HttpResponseMessage> SendSignedAsync(byte[] body) => SendAsync(body, Sign(body));

        /// <summary>Posts the body; the task completes when the answer's headers arrive (an early acknowledgement shows).</summary>
        public async Task<HttpResponseMessage> SendAsync(byte[] body, WebhookProof? proof, bool chunked = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, WithQuery(Url, proof?.Query)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", samples.ContentType);
            if (chunked)
            {
                request.Headers.TransferEncodingChunked = true;
                request.Content.Headers.ContentLength = null;
            }

            foreach (var (name, value) in proof?.Headers ?? new Dictionary<string, string>())
            {
                if (!request.Headers.TryAddWithoutValidation(name, value))
                {
                    request.Content.Headers.Remove(name);
                    request.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(WebhookTimeout);
            return await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await host.DisposeAsync();
            await container.DisposeAsync();
        }

        private static Uri WithQuery(Uri url, string? query)
        {
            if (string.IsNullOrEmpty(query))
            {
                return url;
            }

            var builder = new UriBuilder(url);
            var own = builder.Query.TrimStart('?');
            builder.Query = own.Length == 0 ? query.TrimStart('?') : own + "&" + query.TrimStart('?');
            return builder.Uri;
        }
    }
}
