using System.Net;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Media;
using ChatGateway.Testing;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

using FixedChannelKeys = ChatGateway.Testing.Conformance.FixedChannelKeys;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>
/// Outbound MMS: the sender gives Twilio one <c>MediaUrl</c> per file, signed links to this instance's media endpoint,
/// and the fake Twilio fetches them as Twilio would, so the tests see what the customer's phone would get.
/// </summary>
public sealed class MmsOutboundTests : IAsyncLifetime
{
    private FakeTwilioServer _twilio = null!;
    private SmsWebhookHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _twilio = await FakeTwilioServer.StartAsync(SmsTestInstance.AccountSid, SmsTestInstance.AuthToken, cancellationToken: TestContext.Current.CancellationToken);
        _host = await SmsWebhookHost.StartAsync(twilio: _twilio, publicBaseUrlIsThisHost: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task Send_TwoAttachments_TwilioGetsTwoMediaUrls_AndFetchesExactlyTheStoredFiles()
    {
        var jpeg = MmsInboundTests.Jpeg(50_000);
        var png = MmsInboundTests.Png(20_000);
        var first = await _host.Attachments.AddAsync(jpeg, "label.jpg", "image/jpeg");
        var second = await _host.Attachments.AddAsync(png, "receipt.png", "image/png");

        var result = await SendAsync(Message("Here is your return label", first, second));

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal(DeliveryResult.Sent(request.MessageSid), result);
        Assert.Equal("Here is your return label", request.Body);
        Assert.Equal(2, request.MediaUrls.Count);
        Assert.All(request.MediaUrls, url => Assert.StartsWith($"{_host.PublicBaseUrl}channels/{SmsTestInstance.Id}/media/", url, StringComparison.Ordinal));
        Assert.Equal([200, 200], request.MediaFetches.Select(fetch => fetch.Status));
        Assert.Equal(jpeg, request.MediaFetches[0].Content);
        Assert.Equal(png, request.MediaFetches[1].Content);
        Assert.Equal(["image/jpeg", "image/png"], request.MediaFetches.Select(fetch => fetch.ContentType));
        Assert.Equal([(long?)jpeg.Length, png.Length], request.MediaFetches.Select(fetch => fetch.ContentLength));
        Assert.All(request.MediaFetches, fetch =>
        {
            Assert.Equal("nosniff", fetch.Headers["X-Content-Type-Options"]);
            Assert.Equal("private", fetch.Headers["Cache-Control"]);
        });
    }

    [Fact]
    public async Task Send_AttachmentWithoutText_SendsNoBody_AndTwilioTakesIt()
    {
        var photo = await _host.Attachments.AddAsync(MmsInboundTests.Jpeg(1000), "photo.jpg", "image/jpeg");

        var result = await SendAsync(Message("", photo));

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.False(request.Form.ContainsKey("Body"));
        Assert.Single(request.MediaUrls);
    }

    [Fact]
    public async Task Send_ElevenAttachments_FailsForGoodWithoutCallingTwilio()
    {
        var photo = await _host.Attachments.AddAsync(MmsInboundTests.Jpeg(100), "photo.jpg", "image/jpeg");

        var result = await SendAsync(Message("many", [.. Enumerable.Repeat(photo, 11)]));

        Assert.Equal(DeliveryResult.Permanent("an MMS carries at most 10 files; this message has 11"), result);
        Assert.Empty(_twilio.Requests);
    }

    [Fact]
    public async Task Send_FilesOverFiveMegabytesTogether_FailsForGoodWithoutCallingTwilio()
    {
        var big = new MessageAttachment { Id = "a", FileName = "a.jpg", ContentType = "image/jpeg", Size = 3 * 1024 * 1024 };

        var result = await SendAsync(Message("two big ones", big, big with { Id = "b" }));

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.StartsWith("an MMS carries at most 5 MB of files", result.Error, StringComparison.Ordinal);
        Assert.Empty(_twilio.Requests);
    }

    [Fact]
    public async Task Send_FileNoLongerInTheStore_TwilioCannotFetchIt_AndTheSendFailsWith11200()
    {
        var gone = new MessageAttachment { Id = "deleted-file", FileName = "x.jpg", ContentType = "image/jpeg", Size = 100 };

        var result = await SendAsync(Message("see", gone));

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.StartsWith("Twilio error 11200", result.Error, StringComparison.Ordinal);
        Assert.Equal(404, Assert.Single(Assert.Single(_twilio.Requests).MediaFetches).Status);
    }

    [Fact]
    public async Task MediaEndpoint_ValidLink_ServesTheFileWithoutCredentials_WithTypeLengthNosniffAndPrivateCaching()
    {
        var png = MmsInboundTests.Png(4321);
        var attachment = await _host.Attachments.AddAsync(png, "receipt.png", "image/png");
        var url = Links().CreateUrl(attachment);

        using var anonymous = new HttpClient();
        using var response = await anonymous.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(png.Length, response.Content.Headers.ContentLength);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("private", response.Headers.CacheControl?.ToString());
        Assert.Equal(png, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    // Tried on a valid link: one character of the signature changed, the type changed to text/html (the file would be
    // served as a page of this site), the expiry moved later, the id swapped for another stored file's, the signature or
    // the expiry left out, the signature not base64url, the type given twice, and an unknown id signed correctly.
    [Theory]
    [InlineData("signature changed")]
    [InlineData("type changed")]
    [InlineData("expiry moved later")]
    [InlineData("another file's id")]
    [InlineData("no signature")]
    [InlineData("no expiry")]
    [InlineData("signature not base64url")]
    [InlineData("type twice")]
    [InlineData("unknown id, valid signature")]
    public async Task MediaEndpoint_BadLinkOrUnknownId_Answers404_AllAlike(string tampering)
    {
        var attachment = await _host.Attachments.AddAsync(MmsInboundTests.Jpeg(500), "photo.jpg", "image/jpeg");
        var other = await _host.Attachments.AddAsync(MmsInboundTests.Jpeg(500), "other.jpg", "image/jpeg");
        var url = Links().CreateUrl(attachment);
        var signature = url[(url.IndexOf("&sig=", StringComparison.Ordinal) + 5)..];
        var expires = url.Split("&expires=")[1].Split('&')[0];
        var bad = tampering switch
        {
            "signature changed" => url[..^1] + (url[^1] == 'A' ? 'B' : 'A'),
            "type changed" => url.Replace("type=image%2Fjpeg", "type=text%2Fhtml", StringComparison.Ordinal),
            "expiry moved later" => url.Replace($"expires={expires}", $"expires={long.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) + 86_400}", StringComparison.Ordinal),
            "another file's id" => url.Replace(attachment.Id, other.Id, StringComparison.Ordinal),
            "no signature" => url.Replace($"&sig={signature}", "", StringComparison.Ordinal),
            "no expiry" => url.Replace($"&expires={expires}", "", StringComparison.Ordinal),
            "signature not base64url" => url.Replace(signature, new string('*', 43), StringComparison.Ordinal),
            "type twice" => url + "&type=image%2Fjpeg",
            "unknown id, valid signature" => Links().CreateUrl(attachment with { Id = "no-such-file" }),
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        };
        Assert.NotEqual(url, bad);

        using var anonymous = new HttpClient();
        using var response = await anonymous.GetAsync(bad, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Null(response.Content.Headers.ContentType);
    }

    [Fact]
    public async Task MediaEndpoint_ExpiredLink_Answers404()
    {
        var attachment = await _host.Attachments.AddAsync(MmsInboundTests.Jpeg(500), "photo.jpg", "image/jpeg");
        // Made two hours ago with the instance's own key: valid for one hour, so it ran out an hour ago.
        var links = new MediaLinks(
            new FixedChannelKeys(SmsTestInstance.Id),
            new ShiftedTime(TimeSpan.FromHours(-2)),
            _host.Services.GetRequiredService<IOptionsMonitor<SmsOptions>>(),
            _host.Services.GetRequiredService<ChannelInstance>());
        var expired = links.CreateUrl(attachment);
        var fresh = Links().CreateUrl(attachment);

        using var anonymous = new HttpClient();
        using var expiredResponse = await anonymous.GetAsync(expired, TestContext.Current.CancellationToken);
        using var freshResponse = await anonymous.GetAsync(fresh, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, expiredResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, freshResponse.StatusCode);
    }

    private MediaLinks Links() => _host.Services.GetRequiredService<MediaLinks>();

    private Task<DeliveryResult> SendAsync(OutboundMessage message) =>
        _host.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

    private static OutboundMessage Message(string text, params MessageAttachment[] attachments) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = "+14155550123", Phone = "+14155550123" },
        Text = text,
        Attachments = attachments,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
