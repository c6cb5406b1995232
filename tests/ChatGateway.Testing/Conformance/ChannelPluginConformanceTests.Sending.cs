using ChatGateway.Abstractions;

using Microsoft.Extensions.DependencyInjection;

using Xunit;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// The send behaviour the gateway relies on, checked against the plugin's fake of its provider's API: an answer classified
/// transient (retried) or permanent (shown) by its status code, the idempotency key kept across retries of one message,
/// no message text in an error, and an answer whose reply context the provider no longer takes still sent.
/// </summary>
public abstract partial class ChannelPluginConformanceTests
{
    private const string NoFakeProvider = "The plugin gives no fake provider API (StartFakeProviderAsync returns null).";

    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Starts the fake provider API for the send tests; null (the default) skips them.</summary>
    protected virtual Task<IFakeProviderApi?> StartFakeProviderAsync() => Task.FromResult<IFakeProviderApi?>(null);

    /// <summary>False for a provider that takes no idempotency key (the key test then only checks the classification).</summary>
    protected virtual bool SendsIdempotencyKey => true;

    /// <summary>Who the send tests write to; a recipient the plugin can address (by default with a phone number and an email address).</summary>
    protected virtual ChannelRecipient SendRecipient => new()
    {
        ExternalId = "+15005550006",
        Phone = "+15005550006",
        Email = "customer@example.com",
    };

    [Fact]
    public async Task Sender_ProviderAccepts_ReportsSentOrDelivered()
    {
        await using var run = await StartSendAsync();

        var result = await run.SendAsync(NewSendMessage());

        Assert.True(result.Outcome is DeliveryOutcome.Sent or DeliveryOutcome.Delivered,
            $"A message the provider accepted must be Sent or Delivered; it was {result.Outcome} ({result.Error}).");
    }

    [Fact]
    public async Task Sender_AttachmentsDeclared_AMessageThatIsOnlyAPicture_GoesOut()
    {
        Assert.SkipUnless(Plugin.Capabilities.HasFlag(ChannelCapabilities.Attachments), "The plugin does not declare Attachments.");
        await using var run = await StartSendAsync();
        var picture = await run.Container.Attachments.SaveAsync(
            new MemoryStream(Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")),
            "size-chart.png", "image/png", TestContext.Current.CancellationToken);

        // An agent's size chart sent alone: the provider accepts it, so the plugin sends it (not refuses it for want of text).
        var result = await run.SendAsync(NewSendMessage() with { Text = "", Attachments = [picture] });

        Assert.True(result.Outcome is DeliveryOutcome.Sent or DeliveryOutcome.Delivered,
            $"A picture sent alone on a channel with Attachments must go out when the provider accepts it; it was {result.Outcome} ({result.Error}).");
    }

    [Fact]
    public async Task Sender_ReplyContextsDeclared_AnAnswerWithAContextTheProviderNoLongerTakes_StillGoesOut()
    {
        Assert.SkipUnless(Plugin.Capabilities.HasFlag(ChannelCapabilities.ReplyContexts), "The plugin does not declare ReplyContexts.");
        await using var run = await StartSendAsync();

        // A reply token already used or expired early (the provider's fake knows no such token): the plugin sends the
        // normal way in the same attempt, since the gateway hands a context once and will not retry with it.
        var result = await run.SendAsync(NewSendMessage() with { ReplyContext = "conformance-stale-reply-context" });

        Assert.True(result.Outcome is DeliveryOutcome.Sent or DeliveryOutcome.Delivered,
            $"An answer whose reply context the provider refuses must still go out (the normal send); it was {result.Outcome} ({result.Error}).");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task Sender_ProviderAnswersBusyOrFailing_ReportsTransientFailure(int status)
    {
        await using var run = await StartSendAsync();
        var message = NewSendMessage();
        run.Fake.FailNextSend(status);

        var result = await run.SendAsync(message);

        Assert.True(result.Outcome == DeliveryOutcome.TransientFailure,
            $"An answer {status} from the provider must be a TransientFailure (the gateway retries it); it was {result.Outcome}.");
        AssertErrorWithoutText(result, message);
    }

    [Fact]
    public async Task Sender_ProviderRefusesTheRequest_ReportsPermanentFailure()
    {
        await using var run = await StartSendAsync();
        var message = NewSendMessage();
        run.Fake.FailNextSend(400);

        var result = await run.SendAsync(message);

        Assert.True(result.Outcome == DeliveryOutcome.PermanentFailure,
            $"An answer 400 from the provider must be a PermanentFailure (sent again it fails again); it was {result.Outcome}.");
        AssertErrorWithoutText(result, message);
    }

    [Fact]
    public async Task Sender_RetryAfterTransientFailure_SendsTheSameIdempotencyKey()
    {
        await using var run = await StartSendAsync();
        var message = NewSendMessage();
        run.Fake.FailNextSend(503);

        var failed = await run.SendAsync(message);
        var retried = await run.SendAsync(message);
        var other = await run.SendAsync(NewSendMessage());

        Assert.True(failed.Outcome == DeliveryOutcome.TransientFailure, $"An answer 503 must be a TransientFailure; it was {failed.Outcome}.");
        Assert.True(retried.Outcome is DeliveryOutcome.Sent or DeliveryOutcome.Delivered, $"The retry must be sent; it was {retried.Outcome} ({retried.Error}).");
        Assert.True(other.Outcome is DeliveryOutcome.Sent or DeliveryOutcome.Delivered, $"Another message must be sent; it was {other.Outcome} ({other.Error}).");
        if (!SendsIdempotencyKey)
        {
            return;
        }

        var keys = run.Fake.SendKeys;
        Assert.True(keys.Count == 3, $"The fake must have seen the three attempts; it saw {keys.Count}.");
        Assert.True(!string.IsNullOrEmpty(keys[0]), "The first attempt carried no idempotency key.");
        Assert.True(keys[0] == keys[1],
            "The retry of a message must carry the idempotency key of its first attempt (OutboundMessage.MessageId), so a provider that took the first one does not send it twice.");
        Assert.True(keys[2] != keys[0], "Another message must carry another idempotency key.");
    }

    private static void AssertErrorWithoutText(DeliveryResult result, OutboundMessage message) =>
        Assert.True(result.Error is null || !result.Error.Contains(message.Text, StringComparison.OrdinalIgnoreCase),
            "A failed send's error (shown to agents and logged) must not contain the message text.");

    private OutboundMessage NewSendMessage() => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = SendRecipient,
        Text = "Your parcel 7C1E left the depot this morning",
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    private async Task<SendRun> StartSendAsync()
    {
        var fake = await StartFakeProviderAsync();
        Assert.SkipWhen(fake is null, NoFakeProvider);
        try
        {
            var container = Build(Overlay(ValidSettings, fake!.Settings));
            // A channel sending files may publish them on its own endpoints for the provider to fetch: served as the gateway would.
            var endpoints = Plugin.Capabilities.HasFlag(ChannelCapabilities.Attachments)
                ? await ChannelEndpointHost.StartAsync(Plugin, container, TestContext.Current.CancellationToken)
                : null;
            if (endpoints is not null)
            {
                fake.PluginServedAt(endpoints.BaseAddress);
            }

            return new SendRun(fake, container, endpoints);
        }
        catch
        {
            await fake!.DisposeAsync();
            throw;
        }
    }

    /// <summary>An instance that sends to the fake provider.</summary>
    private sealed class SendRun(IFakeProviderApi fake, ChannelInstanceContainer container, ChannelEndpointHost? endpoints) : IAsyncDisposable
    {
        public IFakeProviderApi Fake => fake;

        public ChannelInstanceContainer Container => container;

        public async Task<DeliveryResult> SendAsync(OutboundMessage message)
        {
            var sender = container.Services.GetRequiredService<IChannelSender>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(SendTimeout);
            var result = await sender.SendAsync(message, timeout.Token);
            Assert.NotNull(result);
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            if (endpoints is not null)
            {
                await endpoints.DisposeAsync();
            }

            await container.DisposeAsync();
            await fake.DisposeAsync();
        }
    }
}
