using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Line.Tests;

/// <summary>
/// The sender against a fake LINE: reply while the token lives, push otherwise, and how LINE's answers are judged. Bad
/// inputs tried: a token LINE refuses, a retry key LINE accepted before, a message with a file, a message without text,
/// a text longer than five LINE messages, LINE answering 400, 429, 500 or not at all.
/// </summary>
public sealed class LineSenderTests : IAsyncLifetime
{
    private const string Customer = "U4af4980629a0b5f0e7a5e2b6d8c7f1a2";

    private FakeLineServer _line = null!;
    private ChannelInstanceContainer _container = null!;

    public async ValueTask InitializeAsync()
    {
        _line = await FakeLineServer.StartAsync(LineTestInstance.ChannelAccessToken, TestContext.Current.CancellationToken);
        _container = ChannelInstanceContainer.Build(new LineChannelPlugin(), "line-test", LineTestInstance.ValidSettings(_line));
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync();
        await _line.DisposeAsync();
    }

    private Task<DeliveryResult> SendAsync(OutboundMessage message) =>
        _container.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Send_WithALiveReplyToken_GoesThroughTheReplyApi_AndNothingIsPushed()
    {
        var token = _line.IssueReplyToken();

        var result = await SendAsync(Message("Your order 1001 ships today") with { ReplyContext = token });

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var sent = Assert.Single(_line.Sent);
        Assert.Equal(("reply", token, (string?)null, result.ProviderMessageId), (sent.Api, sent.ReplyToken, sent.To, (string?)sent.MessageId));
        Assert.Equal(["Your order 1001 ships today"], sent.Texts);
        Assert.Empty(_line.SendKeys);
    }

    [Fact]
    public async Task Send_ReplyTokenRefused_IsPushedInTheSameAttempt()
    {
        var message = Message("Your order 1001 ships today") with { ReplyContext = "a-token-line-does-not-know" };

        var result = await SendAsync(message);

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var sent = Assert.Single(_line.Sent);
        Assert.Equal(("push", Customer, message.MessageId.ToString("D")), (sent.Api, sent.To, sent.RetryKey));
        Assert.Contains(_line.Requests, r => r is { Path: "/v2/bot/message/reply", Status: 400 });
    }

    [Fact]
    public async Task Send_WithoutReplyToken_PushesWithTheMessageIdAsRetryKey_TheSameOnARetry()
    {
        var message = Message("Your parcel left the depot");
        _line.FailNextSend(500);

        var failed = await SendAsync(message);
        var retried = await SendAsync(message);

        Assert.Equal((DeliveryOutcome.TransientFailure, DeliveryOutcome.Sent), (failed.Outcome, retried.Outcome));
        Assert.Equal([message.MessageId.ToString("D"), message.MessageId.ToString("D")], _line.SendKeys);
        Assert.Equal(["Your parcel left the depot"], Assert.Single(_line.Sent).Texts);
    }

    [Fact]
    public async Task Send_RetryKeyAlreadyAccepted_IsSentWithoutSendingItAgain()
    {
        var message = Message("Your parcel left the depot");
        var first = await SendAsync(message);

        // The first attempt's answer was lost; the gateway tries again with the same message id.
        var again = await SendAsync(message);

        Assert.Equal((DeliveryOutcome.Sent, DeliveryOutcome.Sent), (first.Outcome, again.Outcome));
        Assert.Contains(_line.Requests, r => r is { Path: "/v2/bot/message/push", Status: 409 });
        Assert.Single(_line.Sent);
        Assert.Equal("req-0001", again.ProviderMessageId);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Send_LineBusyOrFailing_IsTransient(int status)
    {
        _line.FailNextSend(status);

        var result = await SendAsync(Message("Hello there"));

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Equal($"LINE answered {status} to the push: failed as the test asked ({status})", result.Error);
    }

    [Fact]
    public async Task Send_LineRateLimitsWithRetryAfter_IsTransientWithTheWait()
    {
        _line.FailNextSend(429, retryAfterSeconds: 90);

        var result = await SendAsync(Message("Hello there"));

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(90), result.RetryAfter);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    public async Task Send_LineRefuses_IsPermanentWithoutTheTextOrToken(int status)
    {
        _line.FailNextSend(status);
        var message = Message("a secret discount code 7731") with { ReplyContext = _line.IssueReplyToken() };

        var result = await SendAsync(message);

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.StartsWith($"LINE answered {status} to the reply", result.Error);
        Assert.DoesNotContain("7731", result.Error!, StringComparison.Ordinal);
        Assert.DoesNotContain(message.ReplyContext!, result.Error!, StringComparison.Ordinal);
        Assert.Empty(_line.Sent);
    }

    [Fact]
    public async Task Send_WrongAccessToken_IsPermanent()
    {
        await using var container = ChannelInstanceContainer.Build(new LineChannelPlugin(), "line-test",
            new Dictionary<string, string?>(LineTestInstance.ValidSettings(_line)) { ["ChannelAccessToken"] = "revoked-token" });

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(Message("Hello"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.StartsWith("LINE answered 401 to the push: Authentication failed", result.Error);
    }

    [Fact]
    public async Task Send_LongText_GoesAsSeveralMessagesOfOnePush()
    {
        var text = new string('字', 5000) + "end";

        var result = await SendAsync(Message(text));

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal([5000, 3], Assert.Single(_line.Sent).Texts.Select(t => t.Length));
    }

    [Fact]
    public async Task Send_WhatLineCannotTake_IsPermanentBeforeAnyCall()
    {
        var file = new MessageAttachment { Id = "a1", FileName = "label.png", ContentType = "image/png", Size = 10 };

        var withFile = await SendAsync(Message("your label") with { Attachments = [file] });
        var empty = await SendAsync(Message(" "));
        var tooLong = await SendAsync(Message(new string('x', 25001)));

        Assert.All([withFile, empty, tooLong], r => Assert.Equal(DeliveryOutcome.PermanentFailure, r.Outcome));
        Assert.Contains("does not send files", withFile.Error);
        Assert.Empty(_line.Requests);
    }

    [Fact]
    public async Task Send_LineUnreachable_IsTransientWithoutTheText()
    {
        await using var container = ChannelInstanceContainer.Build(new LineChannelPlugin(), "line-test", LineTestInstance.ValidSettings());
        var message = Message("Your order 1001 ships today");

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.StartsWith("could not reach LINE", result.Error);
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
