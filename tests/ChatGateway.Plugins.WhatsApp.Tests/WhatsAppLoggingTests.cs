using System.Net.Http.Headers;

using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using static ChatGateway.Plugins.WhatsApp.Tests.WhatsAppTestInstance;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>What reaches the logs above Debug when things go wrong: never the number, a wamid (which encodes it), a text or the token.</summary>
public sealed class WhatsAppLoggingTests
{
    [Fact]
    public async Task Logs_AboveDebug_HoldNoPhoneNumberWamidTextOrToken()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        await using var graph = await StartFakeAsync();
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", ValidSettings(graph.BaseAddress), loggerFactory);
        await using var host = await ChannelEndpointHost.StartAsync(new WhatsAppChannelPlugin(), container, ct);

        // A webhook whose media download keeps failing (500, retried), one whose message the gateway refuses, a send Graph refuses.
        graph.AddMedia("1003383421387256", [0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9], "image/jpeg");
        graph.FailNextDownload(500);
        graph.FailNextDownload(500);
        graph.FailNextDownload(500);
        await PostAsync(host, container, LoadPayload("media-and-others.json"));
        container.Inbound.RejectWith = "too long";
        await PostAsync(host, container, LoadPayload("message.json"));
        graph.FailNextSend(400);
        var message = new OutboundMessage
        {
            MessageId = Guid.NewGuid(), ConversationId = Guid.NewGuid(), Recipient = new ChannelRecipient { ExternalId = "15551234567" },
            Text = "Your order 1001 ships today", CreatedAt = DateTimeOffset.UnixEpoch,
        };
        await container.Services.GetRequiredService<IChannelSender>().SendAsync(message, ct);

        var visible = logs.Entries.Where(e => e.Level > LogLevel.Debug).Select(e => e.Message).ToList();
        Assert.Contains(visible, m => m.Contains("trying again", StringComparison.Ordinal));
        Assert.Contains(visible, m => m.Contains("could not be downloaded after 3 attempts", StringComparison.Ordinal));
        Assert.Contains(visible, m => m.Contains("refused by the gateway", StringComparison.Ordinal));
        Assert.Contains(visible, m => m.Contains("WhatsApp refused message", StringComparison.Ordinal));
        Assert.All(visible, m =>
        {
            Assert.DoesNotContain("15551234567", m, StringComparison.Ordinal);
            Assert.DoesNotContain("wamid", m, StringComparison.Ordinal);
            Assert.DoesNotContain("order 1001", m, StringComparison.Ordinal);
            Assert.DoesNotContain(AccessToken, m, StringComparison.Ordinal);
        });
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("15551234567", StringComparison.Ordinal));
    }

    private static async Task PostAsync(ChannelEndpointHost host, ChannelInstanceContainer container, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, host.UrlFor(container.Instance, "webhook")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Hub-Signature-256", FakeWhatsAppServer.Sign(AppSecret, body));
        using var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
