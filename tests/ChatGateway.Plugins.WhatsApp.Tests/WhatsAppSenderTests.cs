using ChatGateway.Abstractions;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>The sender against the fake API: what goes over the wire, and how failures are judged.</summary>
public sealed class WhatsAppSenderTests
{
    [Fact]
    public async Task Send_ProviderAccepts_SendsTheTextWithContentLengthAndTheMessageIdAsIdempotencyKey()
    {
        await using var api = await FakeWhatsAppApi.StartAsync(TestContext.Current.CancellationToken);
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp-test", WhatsAppTestInstance.ValidSettings(api.BaseAddress));
        var message = Message("user-8d2e", "Your order 1001 ships today");

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

        // The fake answers 411 to a chunked body: Sent means Refit buffered it (RefitSettings.Buffered).
        Assert.Equal((DeliveryOutcome.Sent, "msg-1"), (result.Outcome, result.ProviderMessageId));
        Assert.Equal(new FakeWhatsAppApi.SentMessage("user-8d2e", "Your order 1001 ships today", message.MessageId.ToString("D")), Assert.Single(api.Sent));
    }

    [Fact]
    public async Task Send_ProviderUnreachable_IsTransientWithoutTheText()
    {
        // Port 9 (discard) is closed here: Refit reports the refused connection in the response, not as an exception.
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp-test", WhatsAppTestInstance.ValidSettings());
        var message = Message("user-8d2e", "Your order 1001 ships today");

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.StartsWith("could not reach WhatsApp", result.Error);
        Assert.DoesNotContain(message.Text, result.Error!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_ProviderRefusesTheRecipient_IsPermanentNamingTheCodeOnly()
    {
        await using var api = await FakeWhatsAppApi.StartAsync(TestContext.Current.CancellationToken);
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp-test", WhatsAppTestInstance.ValidSettings(api.BaseAddress));
        api.FailNextSend(400);

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(Message("user-8d2e", "Hello"), TestContext.Current.CancellationToken);

        Assert.Equal((DeliveryOutcome.PermanentFailure, "WhatsApp refused the message: 400 invalid_request"), (result.Outcome, result.Error));
    }

    private static OutboundMessage Message(string to, string text) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = to },
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
