using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using static ChatGateway.Plugins.Telegram.Tests.TelegramTestInstance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// The bot token is part of every Bot API URL: whatever the plugin does (sends, an upload, Telegram failing, Telegram
/// unreachable), no log entry at any level holds it. IHttpClientFactory would log each request's URL at Information.
/// </summary>
public sealed class TelegramLoggingTests
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    [Fact]
    public async Task NoLogEntryHoldsTheBotToken_WhateverHappens()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken, ct);
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram", ValidSettings(telegram), loggerFactory);
        await using var down = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-down", ValidSettings(), loggerFactory);
        var sender = container.Services.GetRequiredService<IChannelSender>();
        var picture = await container.Attachments.SaveAsync(new MemoryStream(Png), "chart.png", "image/png", ct);

        Assert.Equal(DeliveryOutcome.Sent, (await sender.SendAsync(Message("Your order 1001 ships today"), ct)).Outcome);
        Assert.Equal(DeliveryOutcome.Sent, (await sender.SendAsync(Message("the chart") with { Attachments = [picture] }, ct)).Outcome);
        telegram.FailNextSend(429);
        Assert.Equal(DeliveryOutcome.TransientFailure, (await sender.SendAsync(Message("again"), ct)).Outcome);
        telegram.FailNextSend(500);
        Assert.Equal(DeliveryOutcome.TransientFailure, (await sender.SendAsync(Message("again"), ct)).Outcome);
        Assert.Equal(DeliveryOutcome.TransientFailure,
            (await down.Services.GetRequiredService<IChannelSender>().SendAsync(Message("again"), ct)).Outcome);

        Assert.Equal(4, telegram.Requests.Count);
        Assert.NotEmpty(logs.Entries);
        Assert.DoesNotContain(logs.Entries, entry => entry.Message.Contains(BotToken, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, entry => entry.Message.Contains("/bot", StringComparison.Ordinal));
    }

    private static OutboundMessage Message(string text) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = Customer },
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
