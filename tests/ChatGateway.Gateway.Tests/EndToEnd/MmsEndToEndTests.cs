using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Rich;
using ChatGateway.Testing;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>
/// Pictures by MMS through the real host and the Twilio-compatible server: the customer's photo reaches the agent's desk,
/// fetched with the account's credentials; the agent's picture reaches Twilio as a MediaUrl that Twilio can fetch from the
/// gateway's public address, and nobody else can.
/// </summary>
public sealed class MmsEndToEndTests
{
    private const string PublicBaseUrl = "https://shop.example.com";
    private const string Customer = "+8613800138000";

    [Fact]
    public async Task ACustomersPhotoByMms_ReachesTheDesk_AndTheAgentsPictureGoesOutAsAMediaUrlTwilioFetches()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        twilio.RoutePublicAddress(PublicBaseUrl, host.BaseAddress);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        var media = twilio.AddMedia("MM0001", RichChannel.Png, "image/png");
        var response = await http.SendAsync(TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>
        {
            ["MessageSid"] = "MM0001", ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Customer, ["To"] = "+15005550006",
            ["Body"] = "", ["NumMedia"] = "1", ["MediaUrl0"] = media.ToString(), ["MediaContentType0"] = "image/png",
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var assigned = await bob.NextAssignedAsync();
        var message = Assert.Single((await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!.Messages!);
        var photo = Assert.Single(message.Attachments);
        Assert.Equal(("image/png", true), (photo.ContentType, photo.Inline));
        Assert.Equal(RichChannel.Png, await bob.Http.GetByteArrayAsync(photo.Url));
        Assert.Contains(twilio.MediaDownloads, d => d.Username == GatewayHost.SmsAccountSid && d.Password == GatewayHost.SmsAuthToken && d.Status == 200);

        var uploaded = await RichMessageTests.UploadAsync(bob.Http, assigned.Id, "label.png", "image/png", RichChannel.Png, HttpStatusCode.Created);
        var reply = await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/messages", new { text = "your return label", attachments = new[] { uploaded.GetProperty("id").GetString() } });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        var sent = await twilio.WaitForRequestAsync(r => r.ResponseStatus == 201, TimeSpan.FromSeconds(15));
        Assert.Equal("your return label", sent.Body);
        var fetch = Assert.Single(sent.MediaFetches);
        Assert.StartsWith($"{PublicBaseUrl}/channels/sms-main/media/", fetch.Url);
        Assert.Equal(200, fetch.Status);
        Assert.Equal(RichChannel.Png, fetch.Content);

        // The media link is the signed one Twilio got: the same path with its signature altered opens nothing.
        var link = new Uri(fetch.Url).PathAndQuery;
        var tampered = new Uri(host.BaseAddress, link[..^1] + (link[^1] == 'A' ? 'B' : 'A'));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(tampered)).StatusCode);
    }
}
