using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

/// <summary>One consistent, validated set of routing rules: the queues (steps) and the classifier.</summary>
internal sealed class RoutingSnapshot
{
    public RoutingSnapshot(RoutingOptions options)
    {
        Options = options;
        var steps = options.Steps.Count > 0
            ? options.Steps
            : options.Skills.Select(skill => new RoutingStep { Name = skill, Skills = [skill] }).ToList();
        Steps = steps.ToDictionary(s => s.Name.ToLowerInvariant(), s => s, StringComparer.OrdinalIgnoreCase);
        Classifier = new SkillClassifier(options);
    }

    public RoutingOptions Options { get; }

    /// <summary>Queues by name (lower case).</summary>
    public IReadOnlyDictionary<string, RoutingStep> Steps { get; }

    public SkillClassifier Classifier { get; }

    /// <summary>The queues this agent can serve: every skill of the step, and every attribute.</summary>
    public IReadOnlyList<string> QueuesFor(IReadOnlyCollection<string> skills, IReadOnlyDictionary<string, IReadOnlyList<string>> attributes) =>
        Steps.Where(s =>
                s.Value.Skills.All(skill => skills.Contains(skill, StringComparer.OrdinalIgnoreCase))
                && s.Value.Attributes.All(a => attributes.TryGetValue(a.Key, out var values) && values.Contains(a.Value, StringComparer.OrdinalIgnoreCase)))
            .Select(s => s.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
}

/// <summary>
/// The routing rules in force. They reload with the configuration (the <c>Routing</c> section): a good
/// reload takes effect for new decisions, a bad one is refused with every reason logged and the last
/// good rules stay. Bad rules at start-up stop the gateway.
/// </summary>
internal sealed partial class RoutingRules : IDisposable
{
    private readonly RoutingOptionsValidator _validator = new();
    private readonly ILogger<RoutingRules> _logger;
    private readonly IDisposable? _subscription;
    private volatile RoutingSnapshot _current;

    public RoutingRules(IOptionsMonitor<RoutingOptions> monitor, ILogger<RoutingRules> logger)
    {
        _logger = logger;
        var options = monitor.CurrentValue;
        var result = _validator.Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(RoutingOptions), typeof(RoutingOptions), result.Failures);
        }

        _current = new RoutingSnapshot(options);
        _subscription = monitor.OnChange(Reload);
    }

    public RoutingSnapshot Current => _current;

    /// <summary>Raised after new rules took effect.</summary>
    public event Action<RoutingSnapshot>? Changed;

    /// <summary>Applies new rules if they are valid; returns the reasons they were refused otherwise.</summary>
    public IReadOnlyList<string> Reload(RoutingOptions options)
    {
        var result = _validator.Validate(null, options);
        if (result.Failed)
        {
            var failures = result.Failures.ToList();
            LogRefused(_logger, string.Join(" ", failures));
            return failures;
        }

        _current = new RoutingSnapshot(options);
        LogReloaded(_logger, _current.Steps.Count, options.Rules.Count);
        Changed?.Invoke(_current);
        return [];
    }

    public void Dispose() => _subscription?.Dispose();

    private void Reload(RoutingOptions options, string? name) => Reload(options);

    [LoggerMessage(EventId = 3400, Level = LogLevel.Information, Message = "Routing rules reloaded: {Queues} queues, {Rules} keyword rules")]
    private static partial void LogReloaded(ILogger logger, int queues, int rules);

    [LoggerMessage(EventId = 3401, Level = LogLevel.Error, Message = "New routing rules refused; the last good rules stay in force. {Reasons}")]
    private static partial void LogRefused(ILogger logger, string reasons);
}
