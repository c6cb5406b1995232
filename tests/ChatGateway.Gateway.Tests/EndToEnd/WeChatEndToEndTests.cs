using System.Net;
using System.Net.Http.Json;
using System.Text;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Rich;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>
/// WeChat through the real host (the WeChat plugin deployed from src/Plugins as the gateway deploys it) and a fake WeChat
/// speaking its wire format: the server verification, a safe-mode message from a customer, the agent's answer as a
/// customer-service message with the access_token the plugin fetched, then a picture (uploaded, sent as an image). Bad input tried: a message signed with another
/// token (403, nothing stored).
/// </summary>
public sealed class WeChatEndToEndTests
{
    private const string Instance = "wechat";
    private const string AppId = "wx5823bf96d3bd56c7";
    private const string AppSecret = "e2e-wechat-app-secret";
    private const string Token = "e2eWeChatToken";
    private const string EncodingAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    private const string Customer = "oDF3iY9ffA-hqb2vVvbr7qxf6A0Q";

    [Fact]
    public async Task WeChatCustomer_SafeModeMessage_ReachesAnAgent_AndTheAnswerGoesOutAsACustomerServiceMessage()
    {
        await using var wechat = await FakeWeChatServer.StartAsync(AppId, AppSecret);
        await using var host = await StartAsync(wechat);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        // The 公众平台 verifies the server before it enables it.
        using var verification = await http.GetAsync($"/channels/{Instance}/webhook?{Query(Token)}&echostr=5837397520665436492");
        Assert.Equal("5837397520665436492", await verification.Content.ReadAsStringAsync());

        using var response = await http.SendAsync(SafeMode(Text("24602479311234567", "我的订单 7C1E 到哪里了?")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", await response.Content.ReadAsStringAsync());

        var assigned = await bob.NextAssignedAsync();
        Assert.Equal("wechat", assigned.ChannelType);
        var conversation = await EventuallyAsync(bob, assigned.Id, c => c.Messages!.Count == 1);
        Assert.Equal("我的订单 7C1E 到哪里了?", conversation.Messages![0].Text);

        var answer = await bob.ReplyAsync(assigned.Id, "您的包裹今天上午已发出");
        var sent = await wechat.WaitForSentAsync(s => s.Content == "您的包裹今天上午已发出");
        Assert.Equal((Customer, "text"), (sent.ToUser, sent.MsgType));
        await bob.NextStatusAsync(m => m.Id == answer.Id && m.Status == "sent");
        Assert.Equal(1, wechat.TokenCalls);

        // A size chart with words: the words first, then the picture, uploaded as temporary media and sent as an image.
        var uploaded = await RichMessageTests.UploadAsync(bob.Http, assigned.Id, "size-chart.png", "image/png", RichChannel.Png, HttpStatusCode.Created);
        using var withPicture = await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/messages", new { text = "尺码表", attachments = new[] { uploaded.GetProperty("id").GetString() } });
        Assert.Equal(HttpStatusCode.Accepted, withPicture.StatusCode);
        var image = await wechat.WaitForSentAsync(s => s.MsgType == "image");
        var upload = Assert.Single(wechat.Uploads);
        Assert.Equal((Customer, upload.MediaId), (image.ToUser, image.MediaId));
        Assert.Equal(RichChannel.Png, upload.Bytes);
        Assert.Equal(["text", "text", "image"], wechat.Sent.Select(s => s.MsgType));
        Assert.Equal("尺码表", wechat.Sent[1].Content);
    }

    [Fact]
    public async Task FollowByQrCode_GivesNoAgentAConversation_UntilTheCustomerWrites_ThenTheSceneIsItsContext()
    {
        await using var wechat = await FakeWeChatServer.StartAsync(AppId, AppSecret);
        await using var host = await StartAsync(wechat);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        // Scanned the QR code on the parcel's card (scene "card-1207") and followed.
        var follow = $"<xml><ToUserName><![CDATA[gh_3c884a361561]]></ToUserName><FromUserName><![CDATA[{Customer}]]></FromUserName><CreateTime>{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_card-1207]]></EventKey><Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==]]></Ticket></xml>";
        using (var followed = await http.SendAsync(SafeMode(follow)))
        {
            Assert.Equal("success", await followed.Content.ReadAsStringAsync());
        }

        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(500)), "a follow is no question for an agent");

        using (var wrote = await http.SendAsync(SafeMode(Text("24602479319999999", "这个卡片上的优惠券怎么用？"))))
        {
            Assert.Equal("success", await wrote.Content.ReadAsStringAsync());
        }

        var assigned = await bob.NextAssignedAsync();
        var conversation = await EventuallyAsync(bob, assigned.Id, c => c.Messages!.Count == 2);
        Assert.Equal(new OriginDto("qr-code", "card-1207", null, null), conversation.Origin);
        Assert.Equal(["[followed via QR code] card-1207", "这个卡片上的优惠券怎么用？"], conversation.Messages!.Select(m => m.Text));
    }

    [Fact]
    public async Task Webhook_SignedWithAnotherToken_Is403_AndStoresNothing()
    {
        await using var wechat = await FakeWeChatServer.StartAsync(AppId, AppSecret);
        await using var host = await StartAsync(wechat);
        using var http = host.CreateClient();
        var body = Encoding.UTF8.GetBytes(Text("24602479311234999", "refund me"));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/{Instance}/webhook?{Query("not-the-token")}") { Content = new ByteArrayContent(body) };

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
    }

    private static Task<GatewayHost> StartAsync(FakeWeChatServer wechat)
    {
        var plugins = "{ \"plugins\": [\n" +
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } },""" + "\n" +
            $$"""{ "id": "{{Instance}}", "plugin": "WeChat", "enabled": true, "settings": { "AppId": "{{AppId}}", "ApiBaseAddress": "{{wechat.BaseAddress}}" } }""" + "\n] }";
        return GatewayHost.StartAsync(pluginsJson: plugins, settings: new Dictionary<string, string?>
        {
            [$"Channels:{Instance}:AppSecret"] = AppSecret,
            [$"Channels:{Instance}:Token"] = Token,
            [$"Channels:{Instance}:EncodingAESKey"] = EncodingAESKey,
        });
    }

    private static async Task<ConversationDto> EventuallyAsync(AgentSession agent, Guid conversationId, Func<ConversationDto, bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var conversation = (await agent.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!;
            if (condition(conversation))
            {
                return conversation;
            }

            Assert.True(DateTime.UtcNow < until, "timed out; the conversation is: " + System.Text.Json.JsonSerializer.Serialize(conversation));
            await Task.Delay(50);
        }
    }

    private static string Query(string token, string timestamp = "1765000000", string nonce = "1320562132") =>
        $"signature={FakeWeChatServer.Sign(token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}";

    private static HttpRequestMessage SafeMode(string xml, string timestamp = "1765000000", string nonce = "1320562132")
    {
        var encrypted = FakeWeChatServer.Encrypt(EncodingAESKey, AppId, Encoding.UTF8.GetBytes(xml));
        var body = $"<xml><ToUserName><![CDATA[gh_3c884a361561]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
        var url = $"/channels/{Instance}/webhook?{Query(Token, timestamp, nonce)}&openid={Customer}&encrypt_type=aes&msg_signature={FakeWeChatServer.Sign(Token, timestamp, nonce, encrypted)}";
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new("text/xml");
        return request;
    }

    /// <summary>A text message as WeChat posts it, stamped now (the 48-hour window counts from it).</summary>
    private static string Text(string msgId, string content) =>
        $"<xml><ToUserName><![CDATA[gh_3c884a361561]]></ToUserName><FromUserName><![CDATA[{Customer}]]></FromUserName><CreateTime>{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msgId}</MsgId></xml>";
}
