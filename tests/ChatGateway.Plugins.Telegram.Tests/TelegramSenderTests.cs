using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;

using static ChatGateway.Plugins.Telegram.Tests.TelegramTestInstance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// The sender against a fake Bot API: text by sendMessage, files uploaded by sendPhoto / sendDocument, and how Telegram's
/// answers are judged. Bad inputs tried: Telegram answering 429 with retry_after, a 503 or 429 with only a Retry-After
/// header (a proxy's page), 400, 403 (the bot blocked), 500, 502, a wrong token, or not at all; a message with neither
/// text nor file; a file no longer stored.
/// </summary>
public sealed class TelegramSenderTests : IAsyncLifetime
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private FakeTelegramServer _telegram = null!;
    private ChannelInstanceContainer _container = null!;

    public async ValueTask InitializeAsync()
    {
        _telegram = await FakeTelegramServer.StartAsync(BotToken, TestContext.Current.CancellationToken);
        _container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-test", ValidSettings(_telegram));
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync();
        await _telegram.DisposeAsync();
    }

    private Task<DeliveryResult> SendAsync(OutboundMessage message) =>
        _container.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

    private static OutboundMessage Message(string text, string to = Customer) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = to },
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public async Task Text_GoesBySendMessage_AndTheProviderIdIsChatAndMessageId()
    {
        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var sent = Assert.Single(_telegram.Sent);
        Assert.Equal(("sendMessage", Customer, "Your order 1001 ships today"), (sent.Method, sent.ChatId, sent.Text));
        Assert.Equal($"{Customer}:{sent.MessageId}", result.ProviderMessageId);
    }

    [Fact]
    public async Task LongText_GoesInPartsTelegramTakes()
    {
        var text = new string('a', 4096) + new string('b', 10);

        var result = await SendAsync(Message(text));

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal([new string('a', 4096), new string('b', 10)], _telegram.Sent.Select(s => s.Text));
    }

    [Fact]
    public async Task Choices_AreAOneTimeKeyboard()
    {
        await SendAsync(Message("How did we do? 1-5") with { Choices = ["1", "2", "3", "4", "5"] });

        using var markup = JsonDocument.Parse(Assert.Single(_telegram.Sent).ReplyMarkup!);
        Assert.Equal(["1", "2", "3", "4", "5"], markup.RootElement.GetProperty("keyboard")[0].EnumerateArray().Select(b => b.GetProperty("text").GetString()));
        Assert.True(markup.RootElement.GetProperty("one_time_keyboard").GetBoolean());
    }

    [Fact]
    public async Task APicture_IsUploadedBySendPhoto_WithTheTextAsCaption()
    {
        var ct = TestContext.Current.CancellationToken;
        var picture = await _container.Attachments.SaveAsync(new MemoryStream(Png), "size-chart.png", "image/png", ct);

        var result = await SendAsync(Message("Here is the size chart") with { Attachments = [picture] });

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var sent = Assert.Single(_telegram.Sent);
        Assert.Equal(("sendPhoto", "Here is the size chart", "size-chart.png", "image/png"), (sent.Method, sent.Text, sent.FileName, sent.ContentType));
        Assert.Equal(Png, sent.File);
    }

    [Fact]
    public async Task AFileAndALongText_TheTextFirst_ThenTheFileBySendDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        var pdf = await _container.Attachments.SaveAsync(new MemoryStream("%PDF-1.4\n%%EOF\n"u8.ToArray()), "invoice.pdf", "application/pdf", ct);
        var text = new string('x', 1500);

        var result = await SendAsync(Message(text) with { Attachments = [pdf] });

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal([("sendMessage", text), ("sendDocument", null)], _telegram.Sent.Select(s => (s.Method, s.Text)));
        Assert.Equal("invoice.pdf", _telegram.Sent[1].FileName);
    }

    [Fact]
    public async Task AFileNoLongerStored_IsAPermanentFailure_AndNothingIsSent()
    {
        var missing = new MessageAttachment { Id = "gone", FileName = "chart.png", ContentType = "image/png", Size = 10 };

        var result = await SendAsync(Message("") with { Attachments = [missing] });

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Empty(_telegram.Sent);
    }

    [Fact]
    public async Task NoTextNoFile_IsRefusedWithoutACall()
    {
        var result = await SendAsync(Message(" "));

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Empty(_telegram.Requests);
    }

    [Fact]
    public async Task TooManyRequests_IsTransient_AndSaysHowLongTelegramAsksToWait()
    {
        _telegram.FailNextSend(429);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Contains("retry after 7 s", result.Error);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task ARetryAfterHeader_WithoutTelegramsJson_IsTransient_AfterThatWait(int status)
    {
        _telegram.FailNextSendWithRetryAfterHeader(status, 12);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(12), result.RetryAfter);
        Assert.Empty(_telegram.Sent);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    public async Task ServerErrors_AreTransient_WithoutAWaitTelegramDidNotAskFor(int status)
    {
        _telegram.FailNextSend(status);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Null(result.RetryAfter);
    }

    [Fact]
    public async Task TooManyRequestsOnAnUpload_IsTransient_AfterTelegramsWait()
    {
        var ct = TestContext.Current.CancellationToken;
        var picture = await _container.Attachments.SaveAsync(new MemoryStream(Png), "size-chart.png", "image/png", ct);
        _telegram.FailNextSend(429);

        var result = await SendAsync(Message("Here is the size chart") with { Attachments = [picture] });

        Assert.Equal((DeliveryOutcome.TransientFailure, TimeSpan.FromSeconds(7)), (result.Outcome, result.RetryAfter));
    }

    [Fact]
    public async Task BadRequest_IsPermanent_WithTelegramsReason()
    {
        _telegram.FailNextSend(400);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(new DeliveryResult(DeliveryOutcome.PermanentFailure, null, "Telegram answered 400: Bad Request: chat not found"), result);
    }

    [Fact]
    public async Task BotBlocked_IsPermanent_AndTheCustomersOutreachOnThisChannelIsRecordedAsNone()
    {
        // The customer wrote before (the gateway knows them), then blocked the bot.
        await _container.Inbound.AcceptAsync(new InboundMessage { ProviderMessageId = $"{Customer}:1", Sender = new ChannelSender { ExternalId = Customer }, Text = "hi" }, TestContext.Current.CancellationToken);
        _telegram.Block(Customer);

        var result = await SendAsync(Message("We have a sale!"));

        Assert.Equal(new DeliveryResult(DeliveryOutcome.PermanentFailure, null, "Telegram answered 403: Forbidden: bot was blocked by the user"), result);
        Assert.Equal((OutreachPreference.None, true), _container.Preferences.Choices[Customer]);
    }

    [Fact]
    public async Task AnotherForbidden_IsPermanent_ButRecordsNoChoice()
    {
        await _container.Inbound.AcceptAsync(new InboundMessage { ProviderMessageId = $"{Customer}:1", Sender = new ChannelSender { ExternalId = Customer }, Text = "hi" }, TestContext.Current.CancellationToken);
        _telegram.FailNextSend(401);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Empty(_container.Preferences.Choices);
    }

    [Fact]
    public async Task WrongToken_IsPermanent_AndTheErrorHoldsNoToken()
    {
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-wrong",
            new Dictionary<string, string?>(ValidSettings(_telegram)) { ["BotToken"] = "7000000001:another-token" });

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(Message("Your order 1001 ships today"), TestContext.Current.CancellationToken);

        Assert.Equal(new DeliveryResult(DeliveryOutcome.PermanentFailure, null, "Telegram answered 401: Unauthorized"), result);
    }

    [Fact]
    public async Task TelegramUnreachable_IsTransient_AndTheErrorHoldsNoUrlOrToken()
    {
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-down", ValidSettings());

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(Message("Your order 1001 ships today"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.StartsWith("could not reach Telegram", result.Error);
        Assert.DoesNotContain(BotToken, result.Error);
        Assert.DoesNotContain("127.0.0.1", result.Error);
    }
}
