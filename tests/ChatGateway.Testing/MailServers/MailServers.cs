using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChatGateway.Testing.MailServers;

/// <summary>
/// A real Postfix (SMTP) and Dovecot (IMAP, LMTP) started in a temporary folder on free loopback ports, touching no system
/// service and no file under /etc: Postfix with <c>postfix -c DIR</c> (its own main.cf, master.cf, queue and data folders,
/// no chroot, log file in the folder), Dovecot with <c>dovecot -c FILE</c> (its own base_dir and state_dir, users in a
/// passwd-file, maildirs in the folder). Postfix takes mail for <c>shop.test</c> and <c>buyer.test</c> from loopback
/// clients and hands it to Dovecot over LMTP; an unknown user is refused by Dovecot, so Postfix bounces the mail to its
/// sender with a real DSN. Mail for any other domain is refused (nothing leaves the machine). Postfix needs root.
/// </summary>
public sealed class MailServers : IAsyncDisposable
{
    public const string ShopDomain = "shop.test";
    public const string BuyerDomain = "buyer.test";

    /// <summary>The authserv-id a test puts in the Authentication-Results headers it sends, as if this server added them.</summary>
    public const string AuthServId = "mx.test";

    /// <summary>An address Postfix refuses at RCPT TO with <c>550 5.1.1 no such customer</c> (a permanent SMTP failure).</summary>
    public const string RefusedRecipient = "refused@buyer.test";

    private readonly string _root;
    private readonly string _usersFile;
    private readonly string _dovecotConfig;
    private readonly string _postfixConfig;
    private readonly (int Uid, int Gid) _mailUser;
    private readonly Lock _usersGate = new();
    private int _mailboxes;
    private HashSet<string> _users = [];

    private MailServers(string root, int imapPort, int smtpPort, int lmtpPort, int imapsPort, (int, int) mailUser)
    {
        _root = root;
        ImapPort = imapPort;
        ImapsPort = imapsPort;
        SmtpPort = smtpPort;
        LmtpPort = lmtpPort;
        _mailUser = mailUser;
        _usersFile = Path.Combine(root, "users");
        _dovecotConfig = Path.Combine(root, "dovecot", "dovecot.conf");
        _postfixConfig = Path.Combine(root, "postfix", "conf");
    }

    public string Host => "127.0.0.1";

    public int ImapPort { get; }

    /// <summary>IMAP over TLS from the first byte, with a self-signed certificate for 127.0.0.1 (see <see cref="CertificateFingerprint"/>).</summary>
    public int ImapsPort { get; }

    /// <summary>The SHA-256 fingerprint (lower-case hex) of the IMAPS certificate, which no authority signed.</summary>
    public string CertificateFingerprint { get; private set; } = "";

    public int SmtpPort { get; }

    public int LmtpPort { get; }

    public string Folder => _root;

    /// <summary>
    /// Why the servers cannot run here (binaries missing, not root), or null when they can. Outside CI a test skips with
    /// this reason; in CI (CI=true) <see cref="StartAsync"/> fails instead.
    /// </summary>
    public static string? UnavailableReason()
    {
        var missing = new[] { "/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/bin/doveadm", "/usr/lib/postfix/sbin/master", "/usr/lib/dovecot/imap", "/usr/lib/dovecot/lmtp" }.Where(path => !File.Exists(path)).ToList();
        if (missing.Count > 0)
        {
            return $"Postfix and Dovecot are not installed ({string.Join(", ", missing)} missing): apt-get install postfix dovecot-imapd dovecot-lmtpd";
        }

        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return "Postfix's master runs as root only: run the mail tests as root (as CI does)";
        }

        return null;
    }

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static async Task<MailServers> StartAsync(CancellationToken cancellationToken = default)
    {
        if (UnavailableReason() is { } reason || !OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException(UnavailableReason() ?? "Linux only");
        }

        var root = Directory.CreateTempSubdirectory("chatgateway-mail-").FullName;
        // Postfix and Dovecot drop privileges: their users must reach the folder.
        File.SetUnixFileMode(root, (UnixFileMode)Convert.ToInt32("755", 8));
        var ports = FreePorts(4);
        var servers = new MailServers(root, ports[0], ports[1], ports[2], ports[3], LookUpUser("mail"));
        try
        {
            await servers.StartDovecotAsync(cancellationToken);
            await servers.StartPostfixAsync(cancellationToken);
            return servers;
        }
        catch
        {
            await servers.DisposeAsync();
            throw;
        }
    }

    /// <summary>How many mailboxes <see cref="CreateMailbox"/> can hand out in all.</summary>
    public const int Mailboxes = 200;

    /// <summary>
    /// A mailbox of its own for a test, <c>{prefix}-{n}@{domain}</c> (password <see cref="PasswordOf"/>). The users are all
    /// written before Dovecot starts: it notices a changed passwd-file by its modification time, in whole seconds, so a
    /// user added in the same second as the one before could stay unknown for a while.
    /// </summary>
    public string CreateMailbox(string prefix, string domain)
    {
        lock (_usersGate)
        {
            var n = ++_mailboxes;
            if (n > Mailboxes)
            {
                throw new InvalidOperationException($"Only {Mailboxes} test mailboxes exist per server.");
            }

            var address = $"{prefix}-{n}@{domain}";
            return _users.Contains(address) ? address : throw new ArgumentException($"No test mailbox {address}: prefixes are shop and buyer, domains {ShopDomain} and {BuyerDomain}.", nameof(prefix));
        }
    }

    private HashSet<string> WriteUsers()
    {
        // passwd-file: user:password:uid:gid:gecos:home
        var users = new HashSet<string>(StringComparer.Ordinal);
        var lines = new StringBuilder();
        foreach (var (prefix, domain) in new[] { ("shop", ShopDomain), ("buyer", BuyerDomain), ("shop", BuyerDomain), ("buyer", ShopDomain) })
        {
            for (var n = 1; n <= Mailboxes; n++)
            {
                var address = $"{prefix}-{n}@{domain}";
                users.Add(address);
                lines.Append(CultureInfo.InvariantCulture, $"{address}:{{PLAIN}}{PasswordOf(address)}:{_mailUser.Uid}:{_mailUser.Gid}::{Path.Combine(_root, "mail", domain, $"{prefix}-{n}")}\n");
            }
        }

        File.WriteAllText(_usersFile, lines.ToString());
        return users;
    }

    public static string PasswordOf(string address) => "pw-" + address.Split('@')[0];

    /// <summary>Runs doveadm against this Dovecot (e.g. <c>mailbox update --uid-validity 7 -u USER INBOX</c>).</summary>
    public Task<string> DoveadmAsync(CancellationToken cancellationToken, params string[] arguments) =>
        RunAsync("/usr/bin/doveadm", ["-c", _dovecotConfig, .. arguments], cancellationToken);

    /// <summary>The tail of Postfix's and Dovecot's logs, for a failing test's message.</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        foreach (var log in new[] { Path.Combine(_root, "postfix", "maillog"), Path.Combine(_root, "dovecot", "dovecot.log") })
        {
            if (File.Exists(log))
            {
                var lines = File.ReadAllLines(log);
                text.AppendLine($"== {Path.GetFileName(log)}").AppendJoin('\n', lines.TakeLast(30)).AppendLine();
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(_postfixConfig, "main.cf")))
            {
                await RunAsync("/usr/sbin/postfix", ["-c", _postfixConfig, "stop"], CancellationToken.None, check: false);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Stopping as far as possible; the folder goes anyway.
        }

        try
        {
            if (File.Exists(_dovecotConfig))
            {
                await RunAsync("/usr/bin/doveadm", ["-c", _dovecotConfig, "stop"], CancellationToken.None, check: false);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // As above.
        }

        // Give the masters a moment to take their children down before the folder goes.
        for (var i = 0; i < 50 && (File.Exists(Path.Combine(_root, "dovecot", "run", "master.pid")) || File.Exists(Path.Combine(_root, "postfix", "queue", "pid", "master.pid"))); i++)
        {
            await Task.Delay(100);
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A process still writing; the system cleans temporary folders.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    private async Task StartDovecotAsync(CancellationToken cancellationToken)
    {
        var dovecot = Path.Combine(_root, "dovecot");
        Directory.CreateDirectory(Path.Combine(dovecot, "run"));
        Directory.CreateDirectory(Path.Combine(dovecot, "state"));
        var mail = Directory.CreateDirectory(Path.Combine(_root, "mail")).FullName;
        await RunAsync("/bin/chown", [$"{_mailUser.Uid}:{_mailUser.Gid}", mail], cancellationToken);
        _users = WriteUsers();
        var (certificate, key) = WriteCertificate(dovecot);

        File.WriteAllText(_dovecotConfig, $$"""
            # ChatGateway test mail server: nothing here is shared with a system Dovecot.
            instance_name = chatgateway-test-{{ImapPort}}
            base_dir = {{dovecot}}/run
            state_dir = {{dovecot}}/state
            log_path = {{dovecot}}/dovecot.log
            protocols = imap lmtp
            listen = 127.0.0.1
            ssl = yes
            ssl_cert = <{{certificate}}
            ssl_key = <{{key}}
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            first_valid_uid = 1
            mail_location = maildir:~/Maildir
            recipient_delimiter = +
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{_usersFile}}
            }
            userdb {
              driver = passwd-file
              args = username_format=%u {{_usersFile}}
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{ImapPort}}
              }
              inet_listener imaps {
                address = 127.0.0.1
                port = {{ImapsPort}}
                ssl = yes
              }
            }
            service lmtp {
              inet_listener lmtp {
                address = 127.0.0.1
                port = {{LmtpPort}}
              }
            }
            protocol lmtp {
              postmaster_address = postmaster@{{AuthServId}}
            }
            """);

        await RunDaemonAsync("/usr/sbin/dovecot", ["-c", _dovecotConfig], cancellationToken);
        await WaitForPortAsync(ImapPort, "Dovecot IMAP", cancellationToken);
        await WaitForPortAsync(ImapsPort, "Dovecot IMAPS", cancellationToken);
        await WaitForPortAsync(LmtpPort, "Dovecot LMTP", cancellationToken);
    }

    private async Task StartPostfixAsync(CancellationToken cancellationToken)
    {
        var postfix = Path.Combine(_root, "postfix");
        Directory.CreateDirectory(_postfixConfig);
        Directory.CreateDirectory(Path.Combine(postfix, "queue"));
        var data = Directory.CreateDirectory(Path.Combine(postfix, "data")).FullName;
        await RunAsync("/bin/chown", ["postfix", data], cancellationToken);

        File.WriteAllText(Path.Combine(_postfixConfig, "main.cf"), $$"""
            # ChatGateway test mail server: nothing here is shared with a system Postfix.
            compatibility_level = 3.6
            queue_directory = {{postfix}}/queue
            data_directory = {{data}}
            mail_owner = postfix
            setgid_group = postdrop
            myhostname = {{AuthServId}}
            mydomain = test
            myorigin = {{AuthServId}}
            mydestination =
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            virtual_mailbox_domains = {{ShopDomain}} {{BuyerDomain}}
            virtual_transport = lmtp:inet:127.0.0.1:{{LmtpPort}}
            # Unknown users are accepted here and refused by Dovecot at delivery, so Postfix sends a real bounce (DSN).
            smtpd_reject_unlisted_recipient = no
            smtpd_recipient_restrictions = check_recipient_access inline:{ { {{RefusedRecipient}} = 550 5.1.1 no such customer } }, permit_mynetworks, reject_unauth_destination
            default_transport = error:mail outside the test domains is not delivered
            relay_transport = error:mail outside the test domains is not delivered
            alias_maps =
            alias_database =
            local_recipient_maps =
            recipient_delimiter = +
            message_size_limit = 104857600
            maillog_file_prefixes = {{_root}}
            maillog_file = {{postfix}}/maillog
            smtp_dns_support_level = disabled
            biff = no
            """);

        File.WriteAllText(Path.Combine(_postfixConfig, "master.cf"), $"""
            # service type private unpriv chroot wakeup maxproc command
            127.0.0.1:{SmtpPort} inet n - n - - smtpd
            pickup    unix  n  -  n  60    1  pickup
            cleanup   unix  n  -  n  -     0  cleanup
            qmgr      unix  n  -  n  300   1  qmgr
            rewrite   unix  -  -  n  -     -  trivial-rewrite
            bounce    unix  -  -  n  -     0  bounce
            defer     unix  -  -  n  -     0  bounce
            trace     unix  -  -  n  -     0  bounce
            verify    unix  -  -  n  -     1  verify
            flush     unix  n  -  n  1000? 0  flush
            proxymap  unix  -  -  n  -     -  proxymap
            smtp      unix  -  -  n  -     -  smtp
            relay     unix  -  -  n  -     -  smtp
            showq     unix  n  -  n  -     -  showq
            error     unix  -  -  n  -     -  error
            retry     unix  -  -  n  -     -  error
            discard   unix  -  -  n  -     -  discard
            lmtp      unix  -  -  n  -     -  lmtp
            anvil     unix  -  -  n  -     1  anvil
            scache    unix  -  -  n  -     1  scache
            postlog   unix-dgram n - n -   1  postlogd
            """);

        await RunAsync("/usr/sbin/postfix", ["-c", _postfixConfig, "check"], cancellationToken);
        await RunDaemonAsync("/usr/sbin/postfix", ["-c", _postfixConfig, "start"], cancellationToken);
        await WaitForPortAsync(SmtpPort, "Postfix SMTP", cancellationToken);
    }

    private async Task WaitForPortAsync(int port, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"{what} did not listen on 127.0.0.1:{port}.\n{Logs()}", ex);
            }
        }
    }

    private static async Task<string> RunAsync(string file, string[] arguments, CancellationToken cancellationToken, bool check = true)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = (await output) + (await error);
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {text}");
        }

        return text;
    }

    /// <summary>
    /// Starts a server that leaves a daemon behind. The daemon keeps whatever output it inherits open, so its output goes
    /// to a file in the folder, never to a pipe this process would wait on.
    /// </summary>
    private async Task RunDaemonAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var log = Path.Combine(_root, "start.log");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$LOG\" 2>&1 </dev/null");
        start.ArgumentList.Add(file);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LOG"] = log;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {(File.Exists(log) ? File.ReadAllText(log) : "")}\n{Logs()}");
        }
    }

    private (string Certificate, string Key) WriteCertificate(string folder)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=127.0.0.1", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CertificateFingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.RawData));
        var certificatePath = Path.Combine(folder, "imap.crt");
        var keyPath = Path.Combine(folder, "imap.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportRSAPrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private static List<int> FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(listener => listener.Start());
            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(listener => listener.Stop());
        }
    }

    private static (int Uid, int Gid) LookUpUser(string name)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length > 3 && fields[0] == name)
            {
                return (int.Parse(fields[2], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidOperationException($"No user '{name}' to own the test mailboxes.");
    }
}
