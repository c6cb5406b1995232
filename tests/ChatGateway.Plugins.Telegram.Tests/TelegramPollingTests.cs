using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Updates;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using static ChatGateway.Plugins.Telegram.Tests.TelegramTestInstance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// Long polling against a fake Bot API: any webhook removed first, updates (my_chat_member among those asked for) stored
/// in order, the offset in the channel's state moved past each only once it is handled. Bad input tried: a download
/// failing with 500 every time, settings asking for both a webhook and polling.
/// </summary>
public sealed class TelegramPollingTests
{
    private static readonly byte[] Pdf = "%PDF-1.4\n%%EOF\n"u8.ToArray();

    [Fact]
    public async Task Polling_StoresEachUpdateOnce_AFileThatKeepsFailingAsFailed_RecordsABlock_AndMovesTheOffset()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken, ct);
        telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        telegram.AddUpdate(Utf8String(Update("\"text\":\"first\"", messageId: 1, updateId: 500)));
        telegram.AddUpdate(Utf8String(Update("\"document\":{\"file_name\":\"invoice.pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"},\"caption\":\"my invoice\"", messageId: 2, updateId: 501)));
        telegram.AddUpdate($$"""{"update_id":502,"my_chat_member":{"chat":{{PrivateChat()}},"from":{{From()}},"date":1765000100,"old_chat_member":{"user":{"id":7000000001,"is_bot":true,"first_name":"Shop"},"status":"member"},"new_chat_member":{"user":{"id":7000000001,"is_bot":true,"first_name":"Shop"},"status":"kicked","until_date":0} """ + "}}");
        for (var i = 0; i < 3; i++)
        {
            telegram.FailNextDownload(500);
        }

        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram",
            new Dictionary<string, string?>(ValidSettings(telegram)) { ["LongPolling"] = "true", ["PollTimeout"] = "00:00:01", ["MaxRegistrationBackoff"] = "00:00:00.2" });
        Assert.Empty(container.StartupFailures());
        var workers = container.Services.GetServices<IHostedService>().ToList();
        foreach (var worker in workers)
        {
            await worker.StartAsync(ct);
        }

        await EventuallyAsync(() => telegram.PollOffsets.Contains(503));
        Assert.Equal(["first", "my invoice"], container.Inbound.Accepted.Select(m => m.Text));
        Assert.Equal(
            new UnsupportedContent { Kind = "document", Failed = true, Summary = "could not be downloaded from Telegram (HTTP 500)" },
            container.Inbound.Accepted[1].Unsupported);
        Assert.Equal((OutreachPreference.None, true), container.Preferences.Choices[Customer]);
        Assert.Equal("503", await container.State.GetAsync(TelegramPollingService.OffsetKey, ct));
        // The first poll had no offset; all three were handled in it (the file tried three times meanwhile).
        Assert.Equal([null, 503], telegram.PollOffsets.Distinct());
        Assert.Equal(1, telegram.CountOf("deleteWebhook"));
        Assert.Contains("my_chat_member", telegram.AllowedUpdates("getUpdates")!);

        foreach (var worker in workers)
        {
            await worker.StopAsync(ct);
        }
    }

    [Fact]
    public async Task WebhookUrlAndLongPolling_StopStartUpNamingBoth()
    {
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram",
            new Dictionary<string, string?>(ValidSettings()) { ["LongPolling"] = "true", ["WebhookUrl"] = "https://shop.example.com/channels/telegram/webhook" });

        Assert.Contains(container.StartupFailures(), f => f.Contains("WebhookUrl and LongPolling", StringComparison.Ordinal));
    }

    private static string Utf8String(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(20);
        }
    }
}
