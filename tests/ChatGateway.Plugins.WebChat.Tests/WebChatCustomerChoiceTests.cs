using System.Net;
using System.Net.Http.Json;
using System.Text;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>What the visitor chooses: a survey's answers pushed as choices, and the notification setting endpoint.</summary>
public sealed class WebChatCustomerChoiceTests
{
    // Fails without WebChatSender passing Choices: the frame had no "choices".
    [Fact]
    public async Task Send_SurveyWithChoices_PushesTheChoicesToTheWidget()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);

        await host.Sender.SendAsync(new OutboundMessage
        {
            MessageId = Guid.NewGuid(),
            ConversationId = Guid.NewGuid(),
            Recipient = new ChannelRecipient { ExternalId = WebChatHost.ExternalIdOf(token) },
            Text = "请为本次服务打分 Please rate us 1-5",
            Choices = ["1", "2", "3", "4", "5"],
            CreatedAt = DateTimeOffset.UtcNow,
        }, TestContext.Current.CancellationToken);

        using var frame = await WebChatHost.ReceiveJsonAsync(socket);
        var message = frame.RootElement.GetProperty("message");
        Assert.Equal(["1", "2", "3", "4", "5"], message.GetProperty("choices").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, message.GetProperty("agentName").ValueKind);
    }

    // Bad inputs tried: before the visitor wrote (409), an unknown value (400), no token (401).
    [Fact]
    public async Task Preferences_RecordTheVisitorsChoiceForAllChannels_OnceTheyHaveWritten()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        Task<HttpResponseMessage> ChooseAsync(string? visitor, string value)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, WebChatHost.PathOf("preferences"))
            {
                Content = new StringContent($$"""{"outreach":"{{value}}"}""", Encoding.UTF8, "application/json"),
            };
            if (visitor is not null)
            {
                request.Headers.Add(VisitorTokens.Header, visitor);
            }

            return host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await ChooseAsync(token, "none")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ChooseAsync(token, "never")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChooseAsync(null, "none")).StatusCode);
        Assert.Empty(host.Container.Preferences.Choices);

        Assert.Equal(HttpStatusCode.OK, (await ChooseAsync(token, "no-marketing")).StatusCode);

        Assert.Equal((OutreachPreference.NoMarketing, false), host.Container.Preferences.Choices[WebChatHost.ExternalIdOf(token)]);
        var shown = await (await host.GetAsVisitorAsync(token, "preferences")).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("no-marketing", shown.GetProperty("outreach").GetString());
    }
}
