using ChatGateway.Testing.Conformance;
using ChatGateway.Testing.MailServers;

using MailKit;

using static ChatGateway.Plugins.Email.Tests.EmailTestInstance;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>The poller's promises with real Dovecot: resume from the cursor, survive a new UIDVALIDITY, one reader per lease, IDLE.</summary>
public sealed class ImapPollerTests(MailServersFixture fixture) : IClassFixture<MailServersFixture>
{
    [Fact]
    public async Task Restart_ResumesFromTheCursor_WithoutReadingAnyMailTwice()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        var state = new InMemoryChannelState();

        // Without deduplication: every hand-over to the sink counts, so a mail read twice would show.
        var first = new RecordingInboundSink();
        await using (var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, state: state, inbound: first))
        {
            await SendAsync(servers, CustomerMail(buyer, shop, "one", "1"), ct);
            await SendAsync(servers, CustomerMail(buyer, shop, "two", "2"), ct);
            await EventuallyAsync(() => first.Accepted.Count == 2, "two mails", ct, servers: servers);
        }

        // While the gateway is down.
        await SendAsync(servers, CustomerMail(buyer, shop, "three", "3"), ct);
        await ReadInboxAsync(servers, shop, 3, ct);

        var second = new RecordingInboundSink();
        await using (var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, state: state, inbound: second))
        {
            await EventuallyAsync(() => second.Accepted.Count == 1, "the mail sent while stopped", ct, servers: servers);
            await SendAsync(servers, CustomerMail(buyer, shop, "four", "4"), ct);
            await EventuallyAsync(() => second.Accepted.Count == 2, "the mail sent after the restart", ct, servers: servers);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }

        // Postfix may deliver two mails sent back to back in either order.
        Assert.Equal(["one", "two"], first.Accepted.Select(m => m.Subject).Order());
        Assert.Equal(["three", "four"], second.Accepted.Select(m => m.Subject));
        Assert.Equal(2, second.Calls);
    }

    [Fact]
    public async Task FolderRebuiltWithANewUidValidity_IsReadAgainWithoutLossOrDuplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        var settings = SettingsFor(servers, shop);
        settings["Imap:Folders:0"] = "Support";
        var state = new InMemoryChannelState();
        // One sink for both runs: the gateway's store, which keeps each Message-ID once.
        var inbound = new RecordingInboundSink { Deduplicate = true };
        var one = CustomerMail(buyer, shop, "one", "1");
        var two = CustomerMail(buyer, shop, "two", "2");
        var three = CustomerMail(buyer, shop, "three", "3");

        using (var client = await LoginAsync(servers, shop, ct))
        {
            await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Support", true, ct);
        }

        await AppendAsync(servers, shop, "Support", one, ct);
        await AppendAsync(servers, shop, "Support", two, ct);
        await using (var channel = await RunningEmailChannel.StartAsync(settings, ct, state: state, inbound: inbound))
        {
            await EventuallyAsync(() => inbound.Accepted.Count == 2, "the folder's two mails", ct, servers: servers);
        }

        var before = ImapCursorOf(state, "Support");
        Assert.Equal(2u, before.LastUid);

        // The folder is rebuilt (a server migration): new UIDVALIDITY, and the new mail gets UID 1, below the old cursor.
        using (var client = await LoginAsync(servers, shop, ct))
        {
            var folder = await client.GetFolderAsync("Support", ct);
            await folder.DeleteAsync(ct);
            await Task.Delay(TimeSpan.FromSeconds(1.1), ct);
            await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Support", true, ct);
        }

        await AppendAsync(servers, shop, "Support", three, ct);
        await AppendAsync(servers, shop, "Support", two, ct);
        await AppendAsync(servers, shop, "Support", one, ct);

        await using (var channel = await RunningEmailChannel.StartAsync(settings, ct, state: state, inbound: inbound))
        {
            await EventuallyAsync(() => ImapCursorOf(state, "Support").UidValidity != before.UidValidity && ImapCursorOf(state, "Support").LastUid == 3, "the cursor on the new folder", ct, servers: servers);
        }

        Assert.Equal(["one", "two", "three"], inbound.Accepted.Select(m => m.Subject));
        Assert.Equal(3, inbound.Accepted.Select(m => m.ProviderMessageId).Distinct().Count());
    }

    [Fact]
    public async Task UidValidityChangedByTheServer_IsNoticed_AndLaterMailStillArrivesOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        var state = new InMemoryChannelState();
        var inbound = new RecordingInboundSink { Deduplicate = true };

        await SendAsync(servers, CustomerMail(buyer, shop, "before", "1"), ct);
        await ReadInboxAsync(servers, shop, 1, ct);
        await using (var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, state: state, inbound: inbound))
        {
            await EventuallyAsync(() => inbound.Accepted.Count == 1, "the first mail", ct, servers: servers);
        }

        await servers.DoveadmAsync(ct, "mailbox", "update", "-u", shop, "--uid-validity", "4242", "INBOX");
        await SendAsync(servers, CustomerMail(buyer, shop, "after", "2"), ct);

        await using (var channel = await RunningEmailChannel.StartAsync(SettingsFor(servers, shop), ct, state: state, inbound: inbound))
        {
            await EventuallyAsync(() => inbound.Accepted.Count == 2 && ImapCursorOf(state, "INBOX").UidValidity == 4242, "the later mail under the new UIDVALIDITY", ct, servers: servers);
        }

        Assert.Equal(["before", "after"], inbound.Accepted.Select(m => m.Subject));
        Assert.Equal(3, inbound.Calls); // "before" once more as a duplicate the gateway ignores, then "after"
    }

    [Fact]
    public async Task TwoGatewayInstances_OneLease_OnlyTheHolderReads_AndTheOtherTakesOverWhenItStops()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        var state = new InMemoryChannelState();
        var leasesA = new InMemoryChannelLeases();
        var leasesB = leasesA.AnotherGatewayInstance();
        var sinkA = new RecordingInboundSink();
        var sinkB = new RecordingInboundSink();
        var settings = SettingsFor(servers, shop);
        // Long enough that a busy machine does not let it run out while A holds it.
        settings["Imap:LeaseSeconds"] = "30";

        await using var a = await RunningEmailChannel.StartAsync(settings, ct, state: state, leases: leasesA, inbound: sinkA);
        await EventuallyAsync(() => leasesA.Holds("imap"), "instance A to take the lease", ct);
        await using var b = await RunningEmailChannel.StartAsync(settings, ct, state: state, leases: leasesB, inbound: sinkB);

        for (var i = 1; i <= 3; i++)
        {
            await SendAsync(servers, CustomerMail(buyer, shop, $"mail {i}", "x"), ct);
        }

        await EventuallyAsync(() => sinkA.Accepted.Count == 3, "instance A to read three mails", ct, servers: servers);
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        Assert.Equal(0, sinkB.Calls);
        Assert.False(leasesB.Holds("imap"));

        await a.StopAsync();
        await EventuallyAsync(() => leasesB.Holds("imap"), "instance B to take the lease", ct, TimeSpan.FromSeconds(40));
        await SendAsync(servers, CustomerMail(buyer, shop, "mail 4", "x"), ct);
        await EventuallyAsync(() => sinkB.Accepted.Count == 1, "instance B to read the next mail", ct, servers: servers);

        Assert.Equal(["mail 1", "mail 2", "mail 3"], sinkA.Accepted.Select(m => m.Subject).Order());
        Assert.Equal("mail 4", sinkB.Accepted.Single().Subject);
        Assert.Equal(1, sinkB.Calls);
    }

    [Fact]
    public async Task Idle_NewMail_ArrivesWithoutWaitingForThePoll()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = fixture.Require();
        var shop = servers.CreateMailbox("shop", MailServers.ShopDomain);
        var buyer = servers.CreateMailbox("buyer", MailServers.BuyerDomain);
        var settings = SettingsFor(servers, shop);
        // A poll every hour and a lease renewed every 10 minutes: only IDLE can bring the mail within the timeout below.
        settings["Imap:PollSeconds"] = "3600";
        settings["Imap:LeaseSeconds"] = "1800";
        await using var channel = await RunningEmailChannel.StartAsync(settings, ct);
        await EventuallyAsync(() => channel.Container.State.GetAsync("imap:INBOX:cursor", ct).GetAwaiter().GetResult() is not null, "the first read of the folder", ct);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);

        await SendAsync(servers, CustomerMail(buyer, shop, "are you there?", "x"), ct);

        await EventuallyAsync(() => channel.Inbound.Accepted.Count == 1, "the mail, woken by IDLE", ct, TimeSpan.FromSeconds(60), servers);
    }

    [Fact]
    public void Backoff_GrowsFromASecondToFiveMinutes_WithJitter()
    {
        var first = Enumerable.Range(0, 50).Select(_ => Inbound.ImapPollerService.Backoff(1)).ToList();
        var later = Enumerable.Range(0, 50).Select(_ => Inbound.ImapPollerService.Backoff(100)).ToList();

        Assert.All(first, delay => Assert.InRange(delay, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1.2)));
        Assert.All(later, delay => Assert.InRange(delay, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(6)));
        Assert.True(first.Distinct().Count() > 1, "the delays must not all be the same (jitter)");
    }

    private static Inbound.ImapCursor ImapCursorOf(InMemoryChannelState state, string folder) =>
        Inbound.ImapCursor.Parse(state.Values.GetValueOrDefault(Inbound.ImapCursor.KeyFor(folder))) ?? new Inbound.ImapCursor(0, 0);
}
