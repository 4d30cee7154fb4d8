from tests.factories import OutageWindowFactory, PlacementFactory, utc


def test_exposure_recompute_smoke(db):
    from campaigns.models import Exposure
    from campaigns.services.exposure import exposure_recompute

    placement = PlacementFactory()
    window = OutageWindowFactory(server=placement.server, start=utc(2006, 1, 1, 10), end=utc(2006, 1, 1, 12))
    result = exposure_recompute(incident=window.incident)
    assert result.accounts == 1
    exposure = Exposure.objects.get()
    assert exposure.affected_seconds == 7200
    assert exposure.intervals == [["2006-01-01T10:00:00+00:00", "2006-01-01T12:00:00+00:00", placement.server.name]]
