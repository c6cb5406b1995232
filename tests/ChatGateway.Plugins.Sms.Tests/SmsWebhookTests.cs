using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Testing;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>The webhook endpoints over real HTTP, with recording sinks in place of the gateway.</summary>
public sealed class SmsWebhookTests : IAsyncLifetime
{
    private const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response></Response>""";

    private SmsWebhookHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SmsWebhookHost.StartAsync(settings => settings["MaxBodyBytes"] = "4096");

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Inbound_SignedTwilioPayload_StoresMessageAndAnswersEmptyTwiml()
    {
        using var response = await _host.PostSignedAsync("messages", SmsTestInstance.LoadPayload("inbound-sms.form"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(EmptyTwiml, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var message = Assert.Single(_host.Inbound.Accepted);
        Assert.Equal("SM1f0e8ae6ade43cb3c0ce4525424e404f", message.ProviderMessageId);
        Assert.Equal("+14155550123", message.Sender.Phone);
        Assert.Equal("Hi! Where is my order #1042? Grüße", message.Text);
    }

    // Fails without the keyword handling in the webhook: nothing reaches IOutreachPreferences. Also tried: a sentence.
    [Fact]
    public async Task Inbound_Stop_IsStoredForTheAgent_AndStopsThisNumber_WhileASentenceIsNot()
    {
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form");
        using var stop = await _host.PostSignedAsync("messages", [.. payload.Select(p => p.Key == "Body" ? new KeyValuePair<string, string>(p.Key, " Stop ") : p)]);
        var sentence = payload.Select(p => p.Key switch
        {
            "Body" => new KeyValuePair<string, string>(p.Key, "please stop"),
            "MessageSid" or "SmsSid" or "SmsMessageSid" => new KeyValuePair<string, string>(p.Key, p.Value + "x"),
            _ => p,
        }).ToList();
        using var ordinary = await _host.PostSignedAsync("messages", sentence);

        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ordinary.StatusCode);
        Assert.Equal(2, _host.Inbound.Accepted.Count);
        var choice = Assert.Single(_host.Preferences.Set);
        Assert.Equal(("+14155550123", OutreachPreference.None, true), choice);
    }

    [Fact]
    public async Task Inbound_SignedWithQueryString_IsAccepted()
    {
        using var response = await _host.PostSignedAsync("messages", SmsTestInstance.LoadPayload("inbound-sms.form"), query: "?shop=eu");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Inbound_SignedWithAnotherToken_Answers403AndStoresNothing()
    {
        using var response = await _host.PostSignedAsync("messages", SmsTestInstance.LoadPayload("inbound-sms.form"), authToken: "forged");

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "invalid signature");
        Assert.Empty(_host.Inbound.Accepted);
    }

    [Fact]
    public async Task Inbound_BodyChangedAfterSigning_Answers403AndStoresNothing()
    {
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form");
        using var request = TwilioSignature.CreateSignedRequest(SmsTestInstance.AuthToken, SmsTestInstance.PublicBaseUrl, SmsWebhookHost.PathOf("messages"), payload);
        request.Content = new FormUrlEncodedContent(payload.Select(pair => pair.Key == "Body" ? new(pair.Key, "Send me a refund") : pair));

        using var response = await _host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "invalid signature");
        Assert.Empty(_host.Inbound.Accepted);
    }

    [Fact]
    public async Task Inbound_SignedForAnotherUrl_Answers403()
    {
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form");
        using var request = TwilioSignature.CreateSignedRequest(SmsTestInstance.AuthToken, "https://evil.example/", SmsWebhookHost.PathOf("messages"), payload);

        using var response = await _host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "invalid signature");
    }

    [Fact]
    public async Task Inbound_WithoutSignature_Answers403AndStoresNothing()
    {
        using var content = new FormUrlEncodedContent(SmsTestInstance.LoadPayload("inbound-sms.form"));

        using var response = await _host.Client.PostAsync(SmsWebhookHost.PathOf("messages"), content, TestContext.Current.CancellationToken);

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "missing X-Twilio-Signature");
        Assert.Empty(_host.Inbound.Accepted);
    }

    [Fact]
    public async Task Inbound_SignedForAnotherAccount_Answers403()
    {
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form")
            .Select(pair => pair.Key == "AccountSid" ? new(pair.Key, "AC99999999999999999999999999999999") : pair);

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "AccountSid does not match this channel");
        Assert.Empty(_host.Inbound.Accepted);
    }

    [Fact]
    public async Task Inbound_WithoutMessageSid_Answers400NamingTheField()
    {
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form").Where(pair => pair.Key != "MessageSid");

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "MessageSid is required");
        Assert.Empty(_host.Inbound.Accepted);
    }

    [Fact]
    public async Task Inbound_JsonBody_Answers415()
    {
        using var content = new StringContent("""{"MessageSid":"SM1"}""", Encoding.UTF8, "application/json");

        using var response = await _host.Client.PostAsync(SmsWebhookHost.PathOf("messages"), content, TestContext.Current.CancellationToken);

        await AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded");
    }

    [Fact]
    public async Task Inbound_BodyOverLimit_Answers413BeforeCheckingAnything()
    {
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form")
            .Select(pair => pair.Key == "Body" ? new(pair.Key, new string('x', 5000)) : pair);

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request body exceeds 4096 bytes");
        Assert.Empty(_host.Inbound.Accepted);
    }

    [Fact]
    public async Task Inbound_ChunkedBodyOverLimit_Answers413()
    {
        var body = new MemoryStream(Encoding.UTF8.GetBytes("Body=" + new string('x', 5000)));
        using var content = new StreamContent(body);
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, SmsWebhookHost.PathOf("messages")) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request body exceeds 4096 bytes");
    }

    [Fact]
    public async Task Inbound_SinkRejects_Answers400WithTheReason()
    {
        _host.Inbound.RejectWith = "message text is empty";
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form").Select(pair => pair.Key == "Body" ? new(pair.Key, "") : pair);

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "message text is empty");
    }

    [Fact]
    public async Task Inbound_Duplicate_StillAnswers200()
    {
        _host.Inbound.ReportDuplicate = true;

        using var response = await _host.PostSignedAsync("messages", SmsTestInstance.LoadPayload("inbound-sms.form"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Inbound_CommitStillRunning_TwilioHearsNothingUntilItEnds()
    {
        _host.Inbound.Commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var posting = _host.PostSignedAsync("messages", SmsTestInstance.LoadPayload("inbound-sms.form"));
        await _host.Inbound.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var answeredBeforeCommit = posting.IsCompleted;
        _host.Inbound.Commit.SetResult();
        using var response = await posting;

        Assert.False(answeredBeforeCommit);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Status_Delivered_ReportsDelivered()
    {
        using var response = await _host.PostSignedAsync("status", SmsTestInstance.LoadPayload("status-delivered.form"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            new DeliveryStatusUpdate("SM5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", DeliveryStatus.Delivered),
            Assert.Single(_host.Statuses.Updates));
    }

    [Fact]
    public async Task Status_Undelivered_ReportsFailedWithTwilioErrorCode()
    {
        using var response = await _host.PostSignedAsync("status", SmsTestInstance.LoadPayload("status-undelivered.form"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            new DeliveryStatusUpdate("SM5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", DeliveryStatus.Failed, "Twilio error 30003"),
            Assert.Single(_host.Statuses.Updates));
    }

    [Fact]
    public async Task Status_UnknownMessageSid_StillAnswers200()
    {
        _host.Statuses.Known = false;

        using var response = await _host.PostSignedAsync("status", SmsTestInstance.LoadPayload("status-delivered.form"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_host.Statuses.Updates);
    }

    [Fact]
    public async Task Status_ForgedSignature_Answers403AndReportsNothing()
    {
        using var response = await _host.PostSignedAsync("status", SmsTestInstance.LoadPayload("status-delivered.form"), authToken: "forged");

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "invalid signature");
        Assert.Empty(_host.Statuses.Updates);
    }

    [Fact]
    public async Task Status_WithoutMessageStatus_Answers400NamingTheField()
    {
        var payload = SmsTestInstance.LoadPayload("status-delivered.form").Where(pair => pair.Key != "MessageStatus");

        using var response = await _host.PostSignedAsync("status", payload);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "MessageStatus is required");
        Assert.Empty(_host.Statuses.Updates);
    }

    [Theory]
    [InlineData("Body")]
    [InlineData("From")]
    [InlineData("MessageSid")]
    public async Task Inbound_SignedWithARepeatedField_Answers400AndStoresNothing(string field)
    {
        // Signed correctly over both values (so only the repetition is wrong): today's form reader would join them with a comma.
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form");
        payload.Add(new(field, payload.First(p => p.Key == field).Value + "-second"));

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"form field '{field}' is repeated; each field is expected once");
        Assert.Empty(_host.Inbound.Accepted);
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(reason, body.GetProperty("error").GetString());
    }
}
