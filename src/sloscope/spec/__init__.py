"""Spec files of every format, loaded into one plain model (:mod:`sloscope.spec.model`).

:mod:`sloscope.spec.load` reads files and asks each format
(:class:`~sloscope.spec.formats.SpecFormat`: :mod:`~sloscope.spec.native`,
:mod:`~sloscope.spec.openslo`, :mod:`~sloscope.spec.sloth`) whether a document is its own.
"""
