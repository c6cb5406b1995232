using System.Net;
using System.Net.Http.Json;
using System.Text;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>
/// Telegram through the real host (the Telegram plugin deployed from src/Plugins as the gateway deploys it) and a fake
/// Bot API speaking its wire format: setWebhook at start-up with the secret token, an update proven by the
/// <c>X-Telegram-Bot-Api-Secret-Token</c> header, the agent's answer by sendMessage. Bad input tried: an update with a
/// wrong secret token (403, nothing stored).
/// </summary>
public sealed class TelegramEndToEndTests
{
    private const string Instance = "telegram";
    private const string BotToken = "7000000001:e2e-bot-token";
    private const string SecretToken = "e2e-telegram-secret-token";
    private const string Customer = "5012345678";
    private const string WebhookUrl = "https://shop.example.com/channels/telegram/webhook";

    [Fact]
    public async Task TelegramCustomer_ReachesTheAgentWithTheirName_AndTheAnswerGoesBySendMessage()
    {
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken);
        await using var host = await StartAsync(telegram);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Update(872635001, 4512, "Hallo, ist das rote Kleid in M noch da?"), SecretToken));
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal("telegram", assigned.ChannelType);
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!;
        Assert.Equal("Anna Schmidt", conversation.Contact.DisplayName);
        Assert.Equal("Hallo, ist das rote Kleid in M noch da?", Assert.Single(conversation.Messages!).Text);
        // Latin letters do not tell German from English: Telegram's language_code does.
        Assert.Equal("de", conversation.Language);

        var reply = await bob.ReplyAsync(assigned.Id, "Ja, in M ist es noch da.");
        var sent = await telegram.WaitForSentAsync(s => s.Text == "Ja, in M ist es noch da.");
        Assert.Equal(("sendMessage", Customer), (sent.Method, sent.ChatId));
        await bob.NextStatusAsync(m => m.Id == reply.Id && m.Status == "sent");

        // The webhook was registered at start-up with the secret token Telegram sends back.
        Assert.Contains((WebhookUrl, SecretToken), telegram.Webhooks);
    }

    [Fact]
    public async Task DeepLinksPayload_IsTheConversationsContext_ForTheAgent()
    {
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken);
        await using var host = await StartAsync(telegram);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        // The customer opened t.me/shop_bot?start=promo42 (a link in the shop's newsletter) and wrote.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Update(872635003, 4514, "/start promo42"), SecretToken));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Update(872635004, 4515, "Gibt es den Rabatt noch?"), SecretToken));
        var assigned = await bob.NextAssignedAsync();

        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!;
        Assert.Equal(new OriginDto("deep-link", "promo42", null, null), conversation.Origin);
        Assert.Equal(["/start promo42", "Gibt es den Rabatt noch?"], conversation.Messages!.Select(m => m.Text));
    }

    [Fact]
    public async Task Update_WithAWrongSecretToken_Is403_AndStoresNothing()
    {
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken);
        await using var host = await StartAsync(telegram);
        using var http = host.CreateClient();

        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(http, Update(872635002, 4513, "refund me"), "not-the-secret-token"));

        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
        Assert.Empty(telegram.Sent);
    }

    private static Task<GatewayHost> StartAsync(FakeTelegramServer telegram)
    {
        var plugins = "{ \"plugins\": [\n" +
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } },""" + "\n" +
            $$"""{ "id": "{{Instance}}", "plugin": "Telegram", "enabled": true, "settings": { "ApiBaseAddress": "{{telegram.BaseAddress}}", "WebhookUrl": "{{WebhookUrl}}" } }""" + "\n] }";
        return GatewayHost.StartAsync(pluginsJson: plugins, settings: new Dictionary<string, string?>
        {
            [$"Channels:{Instance}:BotToken"] = BotToken,
            [$"Channels:{Instance}:SecretToken"] = SecretToken,
        });
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string body, string secretToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/{Instance}/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secretToken);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>One update, as Telegram posts it.</summary>
    private static string Update(long updateId, long messageId, string text) =>
        $$"""{"update_id":{{updateId}},"message":{"message_id":{{messageId}},"from":{"id":{{Customer}},"is_bot":false,"first_name":"Anna","last_name":"Schmidt","language_code":"de"},"chat":{"id":{{Customer}},"first_name":"Anna","last_name":"Schmidt","type":"private"},"date":{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}},"text":"{{text}}"}""" + "}";
}
