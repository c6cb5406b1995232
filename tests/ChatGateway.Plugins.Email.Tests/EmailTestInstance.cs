using ChatGateway.Abstractions;
using ChatGateway.Testing.Conformance;
using ChatGateway.Testing.MailServers;

using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using MimeKit;
using MimeKit.Utils;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>Settings and a running email instance against the test mail servers, and the customer's side of the mail.</summary>
internal static class EmailTestInstance
{
    public const string Id = "email-test";

    /// <summary>Settings that start an instance and reach nothing (port 9 of the loopback address has no server).</summary>
    public static Dictionary<string, string?> OfflineSettings() => new()
    {
        ["Imap:Host"] = "127.0.0.1",
        ["Imap:Port"] = "9",
        ["Imap:Security"] = "None",
        ["Imap:UserName"] = "shop@shop.test",
        ["Imap:Password"] = "imap-secret",
        ["Smtp:Host"] = "127.0.0.1",
        ["Smtp:Port"] = "9",
        ["Smtp:Security"] = "None",
        ["Address"] = "shop@shop.test",
    };

    public static Dictionary<string, string?> SettingsFor(MailServers servers, string shopAddress) => new()
    {
        ["Imap:Host"] = servers.Host,
        ["Imap:Port"] = servers.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Imap:Security"] = "None",
        ["Imap:UserName"] = shopAddress,
        ["Imap:Password"] = MailServers.PasswordOf(shopAddress),
        ["Imap:PollSeconds"] = "5",
        ["Imap:LeaseSeconds"] = "15",
        ["Smtp:Host"] = servers.Host,
        ["Smtp:Port"] = servers.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Smtp:Security"] = "None",
        ["Address"] = shopAddress,
        ["DisplayName"] = "Demo Shop",
        ["Signature"] = "Demo Shop customer care\nhttps://shop.test",
        ["ReplyAddressTokens"] = "true",
        ["TrustAuthenticationResults"] = MailServers.AuthServId,
    };

    public static MimeMessage CustomerMail(string from, string to, string subject, string text, string? html = null, string fromName = "Li Wei")
    {
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress(fromName, from));
        mail.To.Add(MailboxAddress.Parse(to));
        mail.Subject = subject;
        mail.MessageId = MimeUtils.GenerateMessageId(MailServers.BuyerDomain);
        var body = new BodyBuilder { TextBody = text, HtmlBody = html };
        mail.Body = body.ToMessageBody();
        return mail;
    }

    /// <summary>Sends as the customer's mail program does: SMTP to Postfix.</summary>
    public static Task SendAsync(MailServers servers, MimeMessage mail, CancellationToken cancellationToken) =>
        MailClient.SendAsync(servers, mail, cancellationToken);

    /// <summary>Sends raw bytes as they are (malformed MIME included), with the given envelope.</summary>
    public static async Task SendRawAsync(MailServers servers, string from, string to, byte[] raw, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(raw);
        var mail = await MimeMessage.LoadAsync(stream, cancellationToken);
        using var client = new SmtpClient();
        await client.ConnectAsync(servers.Host, servers.SmtpPort, SecureSocketOptions.None, cancellationToken);
        await client.SendAsync(FormatOptions.Default, mail, MailboxAddress.Parse(from), [MailboxAddress.Parse(to)], cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }

    /// <summary>Appends a mail straight into a folder (as a server migration or another client would).</summary>
    public static async Task AppendAsync(MailServers servers, string user, string folderName, MimeMessage mail, CancellationToken cancellationToken)
    {
        using var client = await LoginAsync(servers, user, cancellationToken);
        var folder = folderName == "INBOX" ? client.Inbox : await client.GetFolderAsync(folderName, cancellationToken);
        await folder.AppendAsync(mail, MessageFlags.None, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }

    public static Task<ImapClient> LoginAsync(MailServers servers, string user, CancellationToken cancellationToken) =>
        MailClient.LoginAsync(servers, user, cancellationToken);

    /// <summary>The mails in a user's INBOX, once there are at least <paramref name="count"/> (or the timeout passed).</summary>
    public static Task<List<MimeMessage>> ReadInboxAsync(MailServers servers, string user, int count, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        MailClient.ReadInboxAsync(servers, user, count, cancellationToken, timeout);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="what"/> (and the servers' logs) after the timeout.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, CancellationToken cancellationToken, TimeSpan? timeout = null, MailServers? servers = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.\n{servers?.Logs()}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}

/// <summary>An email instance built as the gateway builds it, with its hosted poller started; stopped on dispose.</summary>
internal sealed class RunningEmailChannel : IAsyncDisposable
{
    private readonly List<IHostedService> _hosted = [];

    private RunningEmailChannel(ChannelInstanceContainer container) => Container = container;

    public ChannelInstanceContainer Container { get; }

    public RecordingInboundSink Inbound => Container.Inbound;

    public RecordingDeliveryStatusSink Statuses => Container.Statuses;

    public IChannelSender Sender => Container.Services.GetRequiredService<IChannelSender>();

    public IChannelReadiness Readiness => Container.Services.GetRequiredService<IChannelReadiness>();

    public static async Task<RunningEmailChannel> StartAsync(
        Dictionary<string, string?> settings,
        CancellationToken cancellationToken,
        IAttachmentStore? attachments = null,
        IChannelState? state = null,
        IChannelLeases? leases = null,
        RecordingInboundSink? inbound = null,
        bool startPoller = true)
    {
        inbound ??= new RecordingInboundSink { Deduplicate = true };
        var container = ChannelInstanceContainer.Build(new EmailChannelPlugin(), EmailTestInstance.Id, settings, attachments: attachments, state: state, leases: leases, inbound: inbound);
        Assert.Empty(container.StartupFailures());
        var channel = new RunningEmailChannel(container);
        if (startPoller)
        {
            await channel.StartPollerAsync(cancellationToken);
        }

        return channel;
    }

    /// <summary>Starts the instance's hosted services (the IMAP poller), as the gateway does at start-up.</summary>
    public async Task StartPollerAsync(CancellationToken cancellationToken)
    {
        foreach (var service in Container.Services.GetServices<IHostedService>())
        {
            await service.StartAsync(cancellationToken);
            _hosted.Add(service);
        }
    }

    public async Task StopAsync()
    {
        foreach (var service in Enumerable.Reverse(_hosted))
        {
            await service.StopAsync(CancellationToken.None);
        }

        _hosted.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Container.DisposeAsync();
    }
}
