using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>
/// The last status this process read (or accepted) per command, keyed by tenant and id, to answer
/// <c>GET /api/commands/{id}</c> while PostgreSQL is briefly down. An entry is served only to the tenant
/// that owns it and only while younger than <see cref="OutageFallbackOptions.StatusCacheMaxAge"/>; the
/// answer is marked stale. Bounded by <see cref="OutageFallbackOptions.StatusCacheSize"/> entries.
/// </summary>
internal sealed class CommandStatusCache : IDisposable
{
    private readonly MemoryCache? _cache;
    private readonly IOptionsMonitor<OutageFallbackOptions> _options;
    private readonly TimeProvider _timeProvider;

    public CommandStatusCache(IOptionsMonitor<OutageFallbackOptions> options, TimeProvider timeProvider)
    {
        _options = options;
        _timeProvider = timeProvider;
        var size = options.CurrentValue.StatusCacheSize;
        _cache = size > 0 ? new MemoryCache(new MemoryCacheOptions { SizeLimit = size }) : null;
    }

    /// <summary>Remembers <paramref name="view"/> as <paramref name="tenant"/>'s command, as read now.</summary>
    public void Put(string tenant, CommandView view)
    {
        // Evicted by the cache's own clock a little after it stops being servable; freshness is judged on read.
        _cache?.Set(new Key(tenant, view.Id), new Entry(view, _timeProvider.GetUtcNow()), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = _options.CurrentValue.StatusCacheMaxAge * 2,
        });
    }

    /// <summary>The cached status of <paramref name="tenant"/>'s command <paramref name="id"/>, with its age, if fresh enough.</summary>
    public bool TryGet(string tenant, Guid id, out CommandView view, out TimeSpan age)
    {
        view = null!;
        age = TimeSpan.Zero;
        if (_cache is null || !_cache.TryGetValue(new Key(tenant, id), out Entry? entry) || entry is null)
        {
            return false;
        }

        age = _timeProvider.GetUtcNow() - entry.ReadAt;
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        if (age > _options.CurrentValue.StatusCacheMaxAge)
        {
            return false;
        }

        view = entry.View;
        return true;
    }

    public void Dispose() => _cache?.Dispose();

    private readonly record struct Key(string Tenant, Guid Id);

    private sealed record Entry(CommandView View, DateTimeOffset ReadAt);
}
