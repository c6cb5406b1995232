using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;
using ChatGateway.Plugins.WeChat.Sending;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>Customer-service sends against the fake WeChat API, the 48-hour window and the shared access_token.</summary>
public sealed class WeChatSenderTests : IAsyncLifetime
{
    private FakeWeChatServer _api = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _api = await FakeWeChatServer.StartAsync(WeChatTestInstance.AppId, WeChatTestInstance.AppSecret, Token);

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    private ChannelInstanceContainer Build(IChannelState? state = null, IChannelLeases? leases = null, TimeProvider? time = null) =>
        ChannelInstanceContainer.Build(new WeChatChannelPlugin(), "wechat", WeChatTestInstance.ValidSettings(_api.BaseAddress),
            timeProvider: time, state: state, leases: leases);

    private static OutboundMessage Message(string text = "您的包裹今天上午已发出") => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = WeChatTestInstance.OpenId },
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    private static Task<DeliveryResult> SendAsync(ChannelInstanceContainer container, OutboundMessage message) =>
        container.Services.GetRequiredService<IChannelSender>().SendAsync(message, Token);

    [Fact]
    public async Task Send_GoesOutAsACustomerServiceText()
    {
        await using var container = Build();

        var result = await SendAsync(container, Message());

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var sent = Assert.Single(_api.Sent);
        Assert.Equal(new WeChatSent(WeChatTestInstance.OpenId, "text", "您的包裹今天上午已发出"), sent);
        Assert.Equal(1, _api.TokenCalls);
    }

    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private static Task<MessageAttachment> SavePngAsync(ChannelInstanceContainer container) =>
        container.Attachments.SaveAsync(new MemoryStream(Png), "size-chart.png", "image/png", Token);

    [Fact]
    public async Task Send_APicture_IsUploadedAsTemporaryImageMediaAndSentAsAnImageMessage()
    {
        await using var container = Build();
        var picture = await SavePngAsync(container);

        var result = await SendAsync(container, Message("") with { Attachments = [picture] });

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var upload = Assert.Single(_api.Uploads);
        Assert.Equal(("image", "media", "image/png"), (upload.Type, upload.FieldName, upload.ContentType));
        Assert.Equal(Png, upload.Bytes);
        var sent = Assert.Single(_api.Sent);
        Assert.Equal(new WeChatSent(WeChatTestInstance.OpenId, "image", null) { MediaId = upload.MediaId }, sent);
    }

    [Fact]
    public async Task Send_TextAndAPicture_SendsTheTextFirstThenThePicture()
    {
        await using var container = Build();
        var picture = await SavePngAsync(container);

        var message = Message("尺码表") with { Attachments = [picture] };

        var result = await SendAsync(container, message);

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal([("text", "尺码表"), ("image", null)], _api.Sent.Select(s => (s.MsgType, s.Content)));
        Assert.Null(await container.State.GetAsync(WeChatSender.ProgressKey(message.MessageId), Token));
    }

    [Fact]
    public async Task Send_PictureFailsAfterTheTextWentOut_TheRetrySendsOnlyThePicture()
    {
        await using var container = Build();
        var picture = await SavePngAsync(container);
        var message = Message("尺码表") with { Attachments = [picture] };
        _api.FailNextImageSend(503);

        var failed = await SendAsync(container, message);
        var retried = await SendAsync(container, message);

        Assert.Equal(DeliveryOutcome.TransientFailure, failed.Outcome);
        Assert.Equal(DeliveryOutcome.Sent, retried.Outcome);
        Assert.Equal([("text", "尺码表"), ("image", null)], _api.Sent.Select(s => (s.MsgType, s.Content)));
        Assert.Null(await container.State.GetAsync(WeChatSender.ProgressKey(message.MessageId), Token));
    }

    [Fact]
    public async Task Send_APdf_IsRefusedPermanentlyWithNothingSent()
    {
        await using var container = Build();
        var pdf = await container.Attachments.SaveAsync(new MemoryStream("%PDF-1.4\n%%EOF\n"u8.ToArray()), "invoice.pdf", "application/pdf", Token);

        var result = await SendAsync(container, Message("您的发票") with { Attachments = [pdf] });

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("WeChat's customer-service messages carry pictures, not application/pdf files", result.Error);
        Assert.Empty(_api.Sent);
        Assert.Empty(_api.Uploads);
    }

    [Fact]
    public async Task Send_APictureOver10MB_IsRefusedPermanentlyWithNothingSent()
    {
        await using var container = Build();
        var large = new MessageAttachment { Id = "not-stored", FileName = "poster.jpg", ContentType = "image/jpeg", Size = 10 * 1024 * 1024 + 1 };

        var result = await SendAsync(container, Message() with { Attachments = [large] });

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("10 MB", result.Error, StringComparison.Ordinal);
        Assert.Empty(_api.Sent);
    }

    [Fact]
    public async Task Send_APictureWeChatRefusesToUpload_IsPermanentBeforeTheTextGoesOut()
    {
        await using var container = Build();
        var picture = await SavePngAsync(container);
        _api.FailNextUploadWith(40005);

        var result = await SendAsync(container, Message() with { Attachments = [picture] });

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.StartsWith("WeChat refused the picture: 40005", result.Error, StringComparison.Ordinal);
        Assert.Empty(_api.Sent);
    }

    [Fact]
    public async Task Send_WeChatAnswers500_IsTransientWithoutTheTokenInTheError()
    {
        await using var container = Build();
        Assert.Equal(DeliveryOutcome.Sent, (await SendAsync(container, Message())).Outcome);
        _api.FailNextSend(500);

        var result = await SendAsync(container, Message());

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.DoesNotContain(_api.CurrentToken!, result.Error, StringComparison.Ordinal);
        Assert.Contains(_api.RequestUris, uri => uri.StartsWith("/cgi-bin/message/custom/send?access_token=" + _api.CurrentToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_BusyWithRetryAfter_IsTransientWithTheWait()
    {
        await using var container = Build();
        Assert.Equal(DeliveryOutcome.Sent, (await SendAsync(container, Message())).Outcome);
        _api.FailNextSend(503, retryAfterSeconds: 45);

        var result = await SendAsync(container, Message());

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(45), result.RetryAfter);
    }

    [Fact]
    public async Task Send_OutsideTheWindow45015_IsPermanentWindowClosed()
    {
        await using var container = Build();
        _api.FailNextSendWith(45015);

        var result = await SendAsync(container, Message());

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("the 48-hour window for customer-service messages is closed", result.Error);
    }

    [Fact]
    public async Task Send_RateLimited45047_IsTransient()
    {
        await using var container = Build();
        _api.FailNextSendWith(45047);

        var result = await SendAsync(container, Message());

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
    }

    [Fact]
    public async Task Send_Unfollowed43004_IsPermanentAndTheContactNotReachable()
    {
        await using var container = Build();
        await container.Inbound.AcceptAsync(new InboundMessage
        {
            ProviderMessageId = "1",
            Sender = new ChannelSender { ExternalId = WeChatTestInstance.OpenId },
            Text = "hi",
        }, Token);
        _api.FailNextSendWith(43004);

        var result = await SendAsync(container, Message("secret order text"));

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.DoesNotContain("secret order text", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(WeChatTestInstance.OpenId, result.Error, StringComparison.Ordinal);
        Assert.Equal((OutreachPreference.None, true), container.Preferences.Choices[WeChatTestInstance.OpenId]);
    }

    [Fact]
    public async Task Send_TokenInvalid40001_RefreshesOnceAndRetriesInTheSameAttempt()
    {
        await using var container = Build();
        Assert.Equal(DeliveryOutcome.Sent, (await SendAsync(container, Message())).Outcome);
        _api.InvalidateToken();

        var result = await SendAsync(container, Message("second"));

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal(2, _api.TokenCalls);
        Assert.Equal(["您的包裹今天上午已发出", "second"], _api.Sent.Select(s => s.Content));
        Assert.Contains(_api.CurrentToken!, await container.State.GetAsync(WeChatAccessTokens.StateKey, Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoGatewayInstances_OnOneStateAndLeases_FetchTheTokenOnce()
    {
        var state = new InMemoryChannelState();
        var leases = new InMemoryChannelLeases();
        await using var first = Build(state, leases);
        await using var second = Build(state, leases.AnotherGatewayInstance());

        // Both token services start at once, as two gateway instances do; then both send.
        var services = new[] { first, second }.Select(c => c.Services.GetServices<IHostedService>().OfType<WeChatTokenService>().Single()).ToArray();
        await Task.WhenAll(services.Select(s => s.StartAsync(Token)));
        try
        {
            var results = await Task.WhenAll(SendAsync(first, Message("a")), SendAsync(second, Message("b")));

            Assert.All(results, r => Assert.Equal(DeliveryOutcome.Sent, r.Outcome));
            Assert.Equal(1, _api.TokenCalls);
            Assert.Null(await first.Services.GetServices<IChannelReadiness>().Single().CheckAsync(Token));
            Assert.Null(await second.Services.GetServices<IChannelReadiness>().Single().CheckAsync(Token));
        }
        finally
        {
            await Task.WhenAll(services.Select(s => s.StopAsync(Token)));
        }
    }

    [Fact]
    public async Task TokenService_RenewsAt80PercentOfTheTokensLife()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var container = Build(time: time);
        var tokens = container.Services.GetRequiredService<WeChatAccessTokens>();
        var first = await tokens.GetAsync(Token);

        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(first, await tokens.GetAsync(Token));
        var service = container.Services.GetServices<IHostedService>().OfType<WeChatTokenService>().Single();
        time.Advance(TimeSpan.FromMinutes(37));
        await service.StartAsync(Token);
        try
        {
            // The fake counts the call before the service stores its answer: wait for what is stored.
            var current = first;
            for (var i = 0; i < 500 && current == first; i++)
            {
                await Task.Delay(20, Token);
                current = (await tokens.ReadAsync(Token))?.Value;
            }

            Assert.NotEqual(first, current);
            Assert.Equal(_api.CurrentToken, current);
            Assert.Equal(2, _api.TokenCalls);
        }
        finally
        {
            await service.StopAsync(Token);
        }
    }

    [Fact]
    public async Task Readiness_WithoutAToken_IsNotReady()
    {
        await using var container = ChannelInstanceContainer.Build(new WeChatChannelPlugin(), "wechat", WeChatTestInstance.ValidSettings());

        Assert.NotNull(await container.Services.GetServices<IChannelReadiness>().Single().CheckAsync(Token));
        Assert.Equal(DeliveryOutcome.TransientFailure, (await SendAsync(container, Message())).Outcome);
    }

    [Theory]
    [InlineData(47, null)]
    [InlineData(49, "the 48-hour window for customer-service messages is closed")]
    public async Task Outreach_IsOpenFor48HoursAfterTheCustomersLastMessage(int hoursAgo, string? expected)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var outreach = new WeChatOutreach(time);

        var reason = await outreach.CannotReachAsync(
            new OutreachRequest(new ChannelRecipient { ExternalId = WeChatTestInstance.OpenId }, time.GetUtcNow().AddHours(-hoursAgo), Transactional: true), Token);

        Assert.Equal(expected, reason);
    }
}
