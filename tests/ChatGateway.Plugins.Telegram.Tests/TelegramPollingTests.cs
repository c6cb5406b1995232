using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Updates;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using static ChatGateway.Plugins.Telegram.Tests.TelegramTestInstance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// Long polling against a fake Bot API: any webhook removed first, updates stored in order, the offset in the channel's
/// state moved past each only once it is stored; an update whose file Telegram fails to give comes again. Bad input
/// tried: a download failing with 500, settings asking for both a webhook and polling.
/// </summary>
public sealed class TelegramPollingTests
{
    private static readonly byte[] Pdf = "%PDF-1.4\n%%EOF\n"u8.ToArray();

    [Fact]
    public async Task Polling_StoresEachUpdateOnce_MovesTheOffset_AndRetriesAnUpdateWhoseFileFailed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken, ct);
        telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        telegram.AddUpdate(Utf8String(Update("\"text\":\"first\"", messageId: 1, updateId: 500)));
        telegram.AddUpdate(Utf8String(Update("\"document\":{\"file_name\":\"invoice.pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"}", messageId: 2, updateId: 501)));
        telegram.FailNextDownload(500);
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram",
            new Dictionary<string, string?>(ValidSettings(telegram)) { ["LongPolling"] = "true", ["PollTimeout"] = "00:00:01", ["MaxRegistrationBackoff"] = "00:00:00.2" });
        Assert.Empty(container.StartupFailures());
        var workers = container.Services.GetServices<IHostedService>().ToList();
        foreach (var worker in workers)
        {
            await worker.StartAsync(ct);
        }

        await EventuallyAsync(() => container.Inbound.Accepted.Count == 2);
        Assert.Equal(["first", ""], container.Inbound.Accepted.Select(m => m.Text));
        Assert.Single(container.Inbound.Accepted[1].Attachments!);
        await EventuallyAsync(() => container.State.GetAsync(TelegramPollingService.OffsetKey, ct).Result == "502");
        // The first poll had no offset; the failed file kept it at 501 (the update came again); then past both.
        Assert.Equal([null, 501, 502], telegram.PollOffsets.Distinct());
        Assert.Equal(1, telegram.CountOf("deleteWebhook"));

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
