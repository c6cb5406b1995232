using System.Net;
using System.Net.Http.Json;
using System.Text;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>
/// LINE through the real host (the Line plugin deployed from src/Plugins as the gateway deploys it) and a fake LINE
/// speaking its wire format: webhooks signed with the channel secret, display names from the profile API, answers by
/// reply while the token lives and by push after. Bad input tried: a webhook signed with another secret (401, nothing
/// stored).
/// </summary>
public sealed class LineEndToEndTests
{
    private const string Instance = "line";
    private const string ChannelSecret = "e2e-line-channel-secret";
    private const string AccessToken = "e2e-line-channel-access-token";
    private const string Customer = "U4af4980629a0b5f0e7a5e2b6d8c7f1a2";

    [Fact]
    public async Task LineCustomer_IsNamedFromTheirProfile_TheQuickAnswerIsAReply_TheLateOneAPushWithItsRetryKey()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var line = await FakeLineServer.StartAsync(AccessToken);
        line.AddUser(Customer, "林美玲", "zh-TW");
        await using var host = await StartAsync(line, clock);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        var token = line.IssueReplyToken();
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, TextEvent("m-1", "hello, is the red dress in stock?", User(Customer), clock.GetUtcNow(), token)));
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal("line", assigned.ChannelType);
        var conversation = await EventuallyAsync(bob, assigned.Id, c => c.Contact.DisplayName == "林美玲");
        Assert.Equal("hello, is the red dress in stock?", Assert.Single(conversation.Messages!).Text);

        // Within the token's life: LINE's reply API, with the event's token, and no push.
        await bob.ReplyAsync(assigned.Id, "Yes, in stock in all sizes.");
        var reply = await line.WaitForSentAsync(s => s.Texts.Contains("Yes, in stock in all sizes."));
        Assert.Equal(("reply", token), (reply.Api, reply.ReplyToken));

        // The customer writes again; the agent answers after the token's life: pushed to the customer, keyed by the message id.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, TextEvent("m-2", "great, do you ship to Taipei?", User(Customer), clock.GetUtcNow(), line.IssueReplyToken())));
        await bob.NextMessageAsync(m => m.Text == "great, do you ship to Taipei?");
        clock.Advance(TimeSpan.FromMinutes(2));
        var late = await bob.ReplyAsync(assigned.Id, "Yes, 2 days to Taipei.");
        var push = await line.WaitForSentAsync(s => s.Texts.Contains("Yes, 2 days to Taipei."));
        Assert.Equal(("push", Customer, late.Id.ToString("D")), (push.Api, push.To, push.RetryKey));
        await bob.NextStatusAsync(m => m.Id == late.Id && m.Status == "sent");
        Assert.Equal(1, line.CountOf($"/v2/bot/profile/{Customer}"));
    }

    [Fact]
    public async Task GroupChat_IsNamedAfterTheGroup_ShowsWhoSpoke_AStickerAsSuch_AndTheAnswerIsPushedToTheGroup()
    {
        const string GroupId = "Ca56f94637c9f2a3b8e1d6c5b4a39f0e1";
        const string Member = "U77b2c0f3e4d5a6b7c8d9e0f1a2b3c4d5";
        await using var line = await FakeLineServer.StartAsync(AccessToken);
        line.AddUser(Member, "Ken");
        line.AddGroup(GroupId, "團購群 Group buy");
        await using var host = await StartAsync(line);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        // Stamped minutes ago: the reply tokens have lived out their life, so the answer is pushed.
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-5);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, TextEvent("g-1", "is the red dress in stock for the group buy?", Group(GroupId, Member), earlier, line.IssueReplyToken())));
        var assigned = await bob.NextAssignedAsync();
        // The plugin asks for the member's profile, then the group's summary: once the group has its name, the member's is known.
        await EventuallyAsync(bob, assigned.Id, c => c.Contact.DisplayName == "團購群 Group buy");

        var sticker = """{"type":"sticker","id":"g-2","quoteToken":"q","stickerId":"52002738","packageId":"11537","stickerResourceType":"ANIMATION","keywords":["Thank you","thanks"]}""";
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Event(sticker, Group(GroupId, Member), earlier.AddSeconds(5), null)));
        var conversation = await EventuallyAsync(bob, assigned.Id, c => c.Messages!.Count == 2);
        Assert.Equal("團購群 Group buy", conversation.Contact.DisplayName);
        Assert.Equal([Member, Member], conversation.Messages!.Select(m => m.Speaker?.Id));
        // The member's name was fetched after the first message: the next one shows it.
        Assert.Equal([null, "Ken"], conversation.Messages!.Select(m => m.Speaker?.Name));
        Assert.Equal(new UnsupportedDto("sticker", "Thank you, thanks"), conversation.Messages![1].Unsupported);

        await bob.ReplyAsync(assigned.Id, "Yes, all sizes for the group!");
        var push = await line.WaitForSentAsync(s => s.Texts.Contains("Yes, all sizes for the group!"));
        Assert.Equal(("push", GroupId), (push.Api, push.To));
    }

    [Fact]
    public async Task Webhook_SignedWithAnotherSecret_Is401_AndStoresNothing()
    {
        await using var line = await FakeLineServer.StartAsync(AccessToken);
        await using var host = await StartAsync(line);
        using var http = host.CreateClient();
        var body = TextEvent("m-forged", "refund me", User(Customer), DateTimeOffset.UtcNow, null);

        var response = await http.SendAsync(Signed(body, "not-the-channel-secret"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
        Assert.Empty(line.Requests);
    }

    private static Task<GatewayHost> StartAsync(FakeLineServer line, TimeProvider? clock = null)
    {
        var plugins = "{ \"plugins\": [\n" +
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } },""" + "\n" +
            $$"""{ "id": "{{Instance}}", "plugin": "Line", "enabled": true, "settings": { "ApiBaseAddress": "{{line.BaseAddress}}", "DataApiBaseAddress": "{{line.BaseAddress}}" } }""" + "\n] }";
        return GatewayHost.StartAsync(pluginsJson: plugins, clock: clock, settings: new Dictionary<string, string?>
        {
            [$"Channels:{Instance}:ChannelSecret"] = ChannelSecret,
            [$"Channels:{Instance}:ChannelAccessToken"] = AccessToken,
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

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string body)
    {
        using var response = await http.SendAsync(Signed(body, ChannelSecret));
        return response.StatusCode;
    }

    private static HttpRequestMessage Signed(string body, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/{Instance}/webhook") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("x-line-signature", FakeLineServer.Sign(secret, bytes));
        return request;
    }

    private static string TextEvent(string id, string text, string source, DateTimeOffset at, string? replyToken) =>
        Event($$"""{"type":"text","id":"{{id}}","quoteToken":"q-{{id}}","text":"{{text}}"}""", source, at, replyToken);

    /// <summary>A webhook body of one message event, as LINE posts it.</summary>
    private static string Event(string message, string source, DateTimeOffset at, string? replyToken) =>
        $$"""{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[{"type":"message","message":{{message}},"webhookEventId":"01H{{Guid.NewGuid():N}}","deliveryContext":{"isRedelivery":false},"timestamp":{{at.ToUnixTimeMilliseconds()}},"source":{{source}}{{(replyToken is null ? "" : $",\"replyToken\":\"{replyToken}\"")}},"mode":"active"}]}""";

    private static string User(string userId) => $$"""{"type":"user","userId":"{{userId}}"}""";

    private static string Group(string groupId, string userId) => $$"""{"type":"group","groupId":"{{groupId}}","userId":"{{userId}}"}""";
}
