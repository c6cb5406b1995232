using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.FollowUps;

/// <summary>
/// The follow-up rules in force. They reload with the configuration (the <c>FollowUps</c> section): a good reload
/// takes effect for what is planned and fired next, a bad one is refused with every reason logged and the last good
/// rules stay. Bad rules at start-up stop the gateway, naming the key.
/// </summary>
internal sealed partial class FollowUpSettings : IHostedService, IDisposable
{
    private readonly FollowUpOptionsValidator _validator = new();
    private readonly ILogger<FollowUpSettings> _logger;
    private readonly IDisposable? _subscription;
    private volatile FollowUpOptions _current;

    public FollowUpSettings(IOptionsMonitor<FollowUpOptions> monitor, ILogger<FollowUpSettings> logger)
    {
        _logger = logger;
        var options = monitor.CurrentValue;
        var result = _validator.Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(FollowUpOptions), typeof(FollowUpOptions), result.Failures);
        }

        _current = options;
        _subscription = monitor.OnChange(options => Reload(options));
    }

    public FollowUpOptions Current => _current;

    /// <summary>Applies new rules if they are valid; returns the reasons they were refused otherwise.</summary>
    public IReadOnlyList<string> Reload(FollowUpOptions options)
    {
        var result = _validator.Validate(null, options);
        if (result.Failed)
        {
            var failures = result.Failures.ToList();
            LogRefused(_logger, string.Join(" ", failures));
            return failures;
        }

        _current = options;
        LogReloaded(_logger, options.Rules.Count, options.Greetings.Count);
        return [];
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _subscription?.Dispose();

    [LoggerMessage(EventId = 7120, Level = LogLevel.Error, Message = "Follow-up rules not reloaded; the last good rules stay: {Reasons}")]
    private static partial void LogRefused(ILogger logger, string reasons);

    [LoggerMessage(EventId = 7121, Level = LogLevel.Information, Message = "Follow-up rules reloaded: {Rules} rules, {Greetings} greetings")]
    private static partial void LogReloaded(ILogger logger, int rules, int greetings);
}
