using System.Net;
using System.Net.Sockets;

using ChatGateway.Abstractions;
using ChatGateway.Testing;

using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>The sender as the gateway gets it from the instance container, against a fake Twilio over real HTTP.</summary>
public sealed class TwilioSmsSenderTests : IAsyncLifetime
{
    private FakeTwilioServer _twilio = null!;

    public async ValueTask InitializeAsync() =>
        _twilio = await FakeTwilioServer.StartAsync(SmsTestInstance.AccountSid, SmsTestInstance.AuthToken, cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _twilio.DisposeAsync();

    [Fact]
    public async Task Send_TwilioAccepts_ReportsSentWithTwilioSid()
    {
        var result = await SendAsync(Message("Your parcel left today."));

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal(DeliveryResult.Sent(request.MessageSid), result);
        Assert.Matches("^SM[0-9a-f]{32}$", result.ProviderMessageId);
        Assert.Equal(201, request.ResponseStatus);
    }

    [Fact]
    public async Task Send_Always_UsesBasicAuthAndTwilioFormFields()
    {
        await SendAsync(Message("Your parcel left today."));

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal(SmsTestInstance.AccountSid, request.AccountSidInPath);
        Assert.Equal(SmsTestInstance.AccountSid, request.Username);
        Assert.Equal(SmsTestInstance.AuthToken, request.Password);
        Assert.StartsWith("application/x-www-form-urlencoded", request.ContentType);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["To"] = "+14155550123",
                ["From"] = SmsTestInstance.FromNumber,
                ["Body"] = "Your parcel left today.",
                ["StatusCallback"] = $"https://shop.example/channels/{SmsTestInstance.Id}/status",
            },
            request.Form);
    }

    [Fact]
    public async Task Send_StatusCallbackDisabled_SendsNoStatusCallback()
    {
        await SendAsync(Message("hi"), settings => settings["StatusCallback"] = "false");

        Assert.Null(Assert.Single(_twilio.Requests).StatusCallback);
    }

    [Fact]
    public async Task Send_RecipientWithoutPhone_SendsToExternalId()
    {
        var message = Message("hi") with { Recipient = new ChannelRecipient { ExternalId = "+14155550999" } };

        await SendAsync(message);

        Assert.Equal("+14155550999", Assert.Single(_twilio.Requests).To);
    }

    [Fact]
    public async Task Send_TwilioReturns429WithRetryAfter_ReportsTransientWithTheWait()
    {
        _twilio.FailNext(1, 429, retryAfterSeconds: 120);

        var result = await SendAsync(Message("hi"));

        Assert.Equal(DeliveryResult.Transient("Twilio returned 429 (retry after 120 s)", TimeSpan.FromSeconds(120)), result);
        Assert.Equal(TimeSpan.FromSeconds(120), result.RetryAfter);
    }

    [Fact]
    public async Task Send_TwilioReturns503_ReportsTransientFailure()
    {
        _twilio.FailNext(1, 503);

        var result = await SendAsync(Message("hi"));

        Assert.Equal(DeliveryResult.Transient("Twilio returned 503"), result);
    }

    [Fact]
    public async Task Send_TwilioReturns429_ReportsTransientFailure()
    {
        _twilio.FailNext(1, 429);

        Assert.Equal(DeliveryOutcome.TransientFailure, (await SendAsync(Message("hi"))).Outcome);
    }

    [Fact]
    public async Task Send_AfterTransientFailure_NextAttemptIsSent()
    {
        _twilio.FailNext(1, 503);

        var first = await SendAsync(Message("hi"));
        var second = await SendAsync(Message("hi"));

        Assert.Equal(DeliveryOutcome.TransientFailure, first.Outcome);
        Assert.Equal(DeliveryOutcome.Sent, second.Outcome);
        Assert.Equal([503, 201], _twilio.Requests.Select(request => request.ResponseStatus));
    }

    [Fact]
    public async Task Send_InvalidNumber_ReportsPermanentFailureWithTwilioMessage()
    {
        var message = Message("hi") with { Recipient = new ChannelRecipient { ExternalId = "12345", Phone = "12345" } };

        var result = await SendAsync(message);

        Assert.Equal(DeliveryResult.Permanent("Twilio error 21211: Invalid 'To' Phone Number: 12345"), result);
    }

    [Fact]
    public async Task Send_WrongAuthToken_ReportsPermanentAuthenticateFailure()
    {
        var result = await SendAsync(Message("hi"), settings => settings["AuthToken"] = "not-the-token");

        Assert.Equal(DeliveryResult.Permanent("Twilio error 20003: Authenticate"), result);
        Assert.Equal(401, Assert.Single(_twilio.Requests).ResponseStatus);
    }

    [Fact]
    public async Task Send_EmptyText_ReportsPermanentFailureFromTwilio()
    {
        var result = await SendAsync(Message(""));

        Assert.Equal(DeliveryResult.Permanent("Twilio error 21602: Message body is required."), result);
    }

    [Fact]
    public async Task Send_TwilioTooSlow_ReportsTransientTimeout()
    {
        _twilio.DelayNext(1, TimeSpan.FromSeconds(10));

        var result = await SendAsync(Message("hi"), settings => settings["RequestTimeout"] = "00:00:00.300");

        Assert.Equal(DeliveryResult.Transient("Twilio did not answer within 0.3 s"), result);
    }

    [Fact]
    public async Task Send_TwilioUnreachable_ReportsTransientFailure()
    {
        var closedPort = ClosedLocalPort();

        var result = await SendAsync(Message("hi"), settings => settings["ApiBaseAddress"] = $"http://127.0.0.1:{closedPort}/");

        Assert.Equal(DeliveryResult.Transient("could not reach Twilio (ConnectionError)"), result);
    }

    [Fact]
    public async Task Send_CallerCancels_Throws()
    {
        _twilio.DelayNext(1, TimeSpan.FromSeconds(10));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await using var services = SmsTestInstance.BuildServices(SmsTestInstance.ValidSettings(_twilio));
        var sender = services.GetRequiredService<IChannelSender>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.SendAsync(Message("hi"), cancellation.Token));
    }

    private async Task<DeliveryResult> SendAsync(OutboundMessage message, Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = SmsTestInstance.ValidSettings(_twilio);
        configure?.Invoke(settings);
        await using var services = SmsTestInstance.BuildServices(settings);
        var sender = services.GetRequiredService<IChannelSender>();
        return await sender.SendAsync(message, TestContext.Current.CancellationToken);
    }

    private static OutboundMessage Message(string text) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = "+14155550123", Phone = "+14155550123" },
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    private static int ClosedLocalPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
